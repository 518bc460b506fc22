/**
 * The machine-speed figure: how fast this machine trains a fixed reference model, so training times
 * measured on one machine can be scaled to another. The reference is the seed's dense autoencoder
 * (SEED_ARCH) on the wasm backend on one thread, whole batches of 64 with Adam, timed over a fixed
 * number of steps after a warm-up. It runs in a worker thread with its own wasm backend, so the figure
 * does not depend on the backend or the state of the process that asks.
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { buildAutoencoder, defaultArchConfig } from '../model/architectures/index.js';
import { SEED_ARCH } from '../model/presets.js';
import { createLocalRunner, type TrainBatch } from '../train/step-runner.js';
import { createRng } from '../util/rng.js';
import { siblingModule, startWorker } from '../util/worker.js';

/** Images per step of the reference. */
export const REFERENCE_BATCH = 64;

/** Timed steps: ~2 s on a 2-vCPU EPYC, long enough that the figure repeats within a few percent. */
export const REFERENCE_STEPS = 200;

/** Untimed steps first (wasm compilation of the kernels, caches). */
export const REFERENCE_WARM_STEPS = 10;

/** Side of the reference images (Fashion-MNIST's). */
const SIDE_PX = 28;

/** Distinct batches the steps cycle through. */
const POOL_BATCHES = 4;

/** How long a measurement runs; tests shorten it. */
export interface MachineSpeedSettings {
  readonly steps: number;
  readonly warmSteps: number;
}

/** The figure and how it was measured. */
export interface MachineSpeed {
  /** Training images per second of the reference. */
  readonly imgPerS: number;
  readonly steps: number;
  readonly batch: number;
  /** Seconds of the timed steps. */
  readonly seconds: number;
}

/** Worker -> main thread. */
export type MachineSpeedReply =
  | { readonly type: 'result'; readonly speed: MachineSpeed }
  | { readonly type: 'error'; readonly message: string };

/** Seeded images in [0, 1]: the speed of dense products does not depend on the values. */
function referenceBatches(): TrainBatch[] {
  const rng = createRng(1);
  const area = SIDE_PX * SIDE_PX;
  return Array.from({ length: POOL_BATCHES }, () => {
    const images = Float32Array.from({ length: REFERENCE_BATCH * area }, () => rng());
    return { n: REFERENCE_BATCH, input: images, target: images, labels: null };
  });
}

/**
 * Trains the reference model on this thread's backend as `settings` says and returns its speed. Call it
 * in a thread on the wasm backend (the worker does); `measureMachineSpeed` is the entry point. Throws
 * RangeError when the steps are not whole numbers.
 */
export async function trainReference(settings: MachineSpeedSettings): Promise<MachineSpeed> {
  const { steps, warmSteps } = settings;
  if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(warmSteps) || warmSteps < 0)
    throw new RangeError(
      `Expected whole numbers of timed (at least 1) and warm-up steps but got ${steps} and ${warmSteps}`,
    );
  const model = buildAutoencoder(defaultArchConfig(SEED_ARCH.arch, { ...SEED_ARCH, side: SIDE_PX }));
  const optimizer = tf.train.adam(1e-3);
  const runner = createLocalRunner(model, optimizer);
  try {
    const batches = referenceBatches();
    const step = (i: number) => runner.step(batches[i % batches.length] as TrainBatch);
    for (let i = 0; i < settings.warmSteps; i++) await step(i);
    const started = performance.now();
    for (let i = 0; i < settings.steps; i++) await step(i);
    const seconds = (performance.now() - started) / 1000;
    const images = settings.steps * REFERENCE_BATCH;
    return {
      imgPerS: images / Math.max(seconds, 1e-9),
      steps: settings.steps,
      batch: REFERENCE_BATCH,
      seconds,
    };
  } finally {
    runner.dispose();
    model.dispose();
    optimizer.dispose();
  }
}

function firstReply(worker: Worker): Promise<MachineSpeedReply> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`it exited with code ${code}`)));
  });
}

/**
 * Measures the machine-speed figure in a worker thread (its start-up, ~0.5 s, is not timed; the whole
 * call takes ~2-3 s on a 2-vCPU EPYC). Throws when the worker fails, with its message.
 */
export async function measureMachineSpeed(
  settings: MachineSpeedSettings = { steps: REFERENCE_STEPS, warmSteps: REFERENCE_WARM_STEPS },
): Promise<MachineSpeed> {
  const worker = startWorker(siblingModule(import.meta.url, 'machine-speed-worker'), {
    workerData: settings,
  });
  try {
    const reply = await firstReply(worker).catch(
      (err: Error): MachineSpeedReply => ({ type: 'error', message: err.message }),
    );
    if (reply.type === 'error') throw new Error(`The machine-speed worker failed: ${reply.message}`);
    return reply.speed;
  } finally {
    await worker.terminate();
  }
}

/** The log line for `speed`, e.g. "machine: 6,300 img/s (reference: seed dense AE, batch 64, 1 thread)". */
export function machineSpeedLine(speed: MachineSpeed, label = 'machine'): string {
  const rate = Math.round(speed.imgPerS).toLocaleString('en');
  return `${label}: ${rate} img/s (reference: seed dense AE, batch ${speed.batch}, 1 thread)`;
}

/** The figure (null when it could not be measured) and its log line. */
export interface MachineSpeedReport {
  readonly imgPerS: number | null;
  readonly line: string;
}

/**
 * Measures the figure and returns it with its log line, or a line saying why it could not be measured:
 * a training run goes on without it.
 */
export async function machineSpeedReport(
  settings?: MachineSpeedSettings,
  label = 'machine',
): Promise<MachineSpeedReport> {
  try {
    const speed = await measureMachineSpeed(settings);
    return { imgPerS: speed.imgPerS, line: machineSpeedLine(speed, label) };
  } catch (err) {
    return {
      imgPerS: null,
      line: `${label}: not measured (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}
