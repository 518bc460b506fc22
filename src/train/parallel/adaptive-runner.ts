/**
 * The `--threads auto` runner: trains on one thread, measures a stretch of steps on two, and keeps
 * whichever is faster on this machine now; it measures again every few hundred steps, because a shared
 * machine's spare core comes and goes. Both ways compute the same two half-batches and combine them the
 * same way (halves.ts), so switching changes neither the loss curve nor a single bit of the weights.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../../model/architectures/types.js';
import type { StepRunner, TrainBatch } from '../step-runner.js';
import { createHalvesRunner } from './halves-runner.js';
import { createParallelRunner, type ParallelRunner } from './parallel-runner.js';

/** When and how the adaptive runner measures. */
export interface AdaptiveSettings {
  /** Untimed steps after each switch (caches, JIT). */
  readonly warmSteps: number;
  /** Timed steps per measurement. */
  readonly probeSteps: number;
  /** Steps between measurements of the way not in use. */
  readonly period: number;
  /** Two threads are used only when this many times faster: they burn about twice the CPU. */
  readonly minGain: number;
  /** After this many measurements in a row where two threads lost, stop the worker and stay on one. */
  readonly maxLosses: number;
  /** Clock in ms (tests inject one). */
  readonly now: () => number;
}

/** Defaults: a measurement costs ~20 steps every ~400, so a losing probe costs a few percent at most. */
const DEFAULT_ADAPTIVE: AdaptiveSettings = {
  warmSteps: 3,
  probeSteps: 16,
  period: 400,
  minGain: 1.15,
  maxLosses: 3,
  now: () => performance.now(),
};

/** A step runner that picks one or two threads by measuring both; `threads` is the current choice. */
export interface AdaptiveRunner extends StepRunner {
  readonly threads: 1 | 2;
  /** Why two threads are no longer tried (a worker failure, or too many lost measurements); null while they are. */
  readonly settled: string | null;
  /**
   * Starts the worker now rather than after the first measurement, and resolves once it has started (or
   * failed to: `settled` says why). Steps never wait for it.
   */
  ready(): Promise<void>;
}

interface Window {
  steps: number;
  images: number;
  ms: number;
}

const emptyWindow = (): Window => ({ steps: 0, images: 0, ms: 0 });

class SwitchingRunner implements AdaptiveRunner {
  threads: 1 | 2 = 1;
  settled: string | null = null;
  private readonly local: StepRunner;
  private parallel: ParallelRunner | undefined;
  /** Images per ms on one and on two threads, as last measured (NaN before). */
  private readonly rate = { 1: Number.NaN, 2: Number.NaN };
  /** Steps since the last switch (the first `warmSteps` are not timed) and since the last decision. */
  private sinceSwitch = 0;
  private sinceDecision = 0;
  private window = emptyWindow();
  private probing = false;
  private losses = 0;
  private started: Promise<void> | undefined;

  constructor(
    model: Autoencoder,
    optimizer: tf.Optimizer,
    private readonly settings: AdaptiveSettings,
  ) {
    this.local = createHalvesRunner(model, optimizer);
    this.parallel = createParallelRunner(model, optimizer);
  }

  async step(batch: TrainBatch): Promise<number> {
    const started = this.settings.now();
    const loss = await this.stepOn(batch);
    this.record(batch.n, this.settings.now() - started);
    return loss;
  }

  ready(): Promise<void> {
    // the worker starts up on the other core while this one trains
    this.started ??= this.parallel?.ready().catch((err: Error) => this.stopWorker(err.message));
    return this.started ?? Promise.resolve();
  }

  async dispose(): Promise<void> {
    await this.stopWorker('disposed');
  }

  private async stepOn(batch: TrainBatch): Promise<number> {
    if (this.threads === 1 || !this.parallel) return this.local.step(batch);
    try {
      return await this.parallel.step(batch);
    } catch (err) {
      // a failed parallel step applies nothing: redo it here and stay on one thread
      await this.stopWorker(err instanceof Error ? err.message : String(err));
      return this.local.step(batch);
    }
  }

  private async stopWorker(reason: string): Promise<void> {
    this.settled ??= reason;
    this.switchTo(1);
    const parallel = this.parallel;
    this.parallel = undefined;
    await parallel?.dispose();
  }

  private switchTo(threads: 1 | 2): void {
    if (threads !== this.threads) this.sinceSwitch = 0;
    this.threads = threads;
    this.window = emptyWindow();
  }

  /** Adds a step to the current measurement window; a full window is a measurement. */
  private record(images: number, ms: number): void {
    this.sinceSwitch++;
    this.sinceDecision++;
    if (this.sinceSwitch <= this.settings.warmSteps) return;
    const w = this.window;
    w.steps++;
    w.images += images;
    w.ms += ms;
    if (w.steps < this.settings.probeSteps) return;
    this.window = emptyWindow();
    this.rate[this.threads] = w.images / Math.max(w.ms, 1e-9);
    // not before: runs too short for one measurement never pay for a worker
    void this.ready();
    if (this.probing) this.decide();
    else if (this.otherDue()) {
      this.probing = true;
      this.switchTo(this.threads === 1 ? 2 : 1);
    }
  }

  /** Whether to measure the way not in use now: never measured, or not for `period` steps. */
  private otherDue(): boolean {
    if (this.threads === 1 && !this.parallel?.isStarted()) return false;
    const other = this.threads === 1 ? 2 : 1;
    return Number.isNaN(this.rate[other]) || this.sinceDecision >= this.settings.period;
  }

  /** Both ways were just measured back to back: keep the faster (two threads must win by `minGain`). */
  private decide(): void {
    this.probing = false;
    this.sinceDecision = 0;
    const wins = this.rate[2] >= this.rate[1] * this.settings.minGain;
    this.losses = wins ? 0 : this.losses + 1;
    if (this.losses >= this.settings.maxLosses) {
      void this.stopWorker(`two threads were not faster in ${this.losses} measurements in a row`);
      return;
    }
    this.switchTo(wins ? 2 : 1);
  }
}

/**
 * Creates the adaptive runner for `model` and `optimizer` (see the module comment). It starts its worker
 * thread in the background after its first measurement (or on `ready()`); `dispose()` stops it. A worker
 * failure makes it go on on one thread.
 */
export function createAdaptiveRunner(
  model: Autoencoder,
  optimizer: tf.Optimizer,
  settings: Partial<AdaptiveSettings> = {},
): AdaptiveRunner {
  return new SwitchingRunner(model, optimizer, { ...DEFAULT_ADAPTIVE, ...settings });
}
