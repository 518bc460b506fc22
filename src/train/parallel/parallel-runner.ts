/**
 * Data-parallel training on two threads: the main thread computes the gradients of the first half of
 * every batch and one worker those of the second; the main thread combines them as a one-thread step
 * does (halves.ts), applies its optimiser, and publishes the new weights to the worker through shared
 * memory. The main thread's model and optimiser are the only state, always current: checkpoints,
 * validation and saving read them as with one thread.
 */
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../../model/architectures/types.js';
import { siblingModule, startWorker } from '../../util/worker.js';
import type { StepRunner, TrainBatch } from '../step-runner.js';
import { applyHalves, type Gradients, gradientTensors, halvesLoss, splitHalves } from './halves.js';
import { CONTROL, CONTROL_SLOTS, type FromWorker, type ToWorker, type WorkerSetup } from './protocol.js';
import { type FlatLayout, flatLayout, flatTensors, writeVariables } from './replica.js';

/** A step runner that splits each batch between this thread and a worker thread. */
export interface ParallelRunner extends StepRunner {
  /** Starts the worker (`step` does this on first use); rejects if it cannot start. */
  ready(): Promise<void>;
  /** True once the worker has started and nothing has failed; needs no turn of the event loop. */
  isStarted(): boolean;
  /** The worker's copy of the weights, in `model.variables` order (equal to this thread's after a step). */
  readReplica(): Promise<Float32Array[]>;
}

type Reply<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

interface Pending {
  readonly type: FromWorker['type'];
  resolve(msg: FromWorker): void;
  reject(err: Error): void;
}

const DISPOSED = 'The parallel step runner was disposed';

/** The main thread's side: the worker, the shared buffers and the step protocol. */
class TwoThreadRunner implements ParallelRunner {
  private readonly layout: FlatLayout;
  private readonly control = new Int32Array(new SharedArrayBuffer(CONTROL_SLOTS * 4));
  /** Two slots: the worker may still read version v while version v + 1 is written. */
  private readonly weights: Float32Array;
  private readonly workerGrads: Float32Array;
  /** The variables' data as last published; another id means someone assigned them outside `step`. */
  private published: readonly tf.DataId[] = [];
  private version = 0;
  private seq = 0;
  private worker: Worker | undefined;
  private started: Promise<void> | undefined;
  private pending: Pending | undefined;
  private failure: Error | undefined;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: Autoencoder,
    private readonly optimizer: tf.Optimizer,
  ) {
    this.layout = flatLayout(model.variables.map((v) => [...v.shape]));
    this.weights = new Float32Array(new SharedArrayBuffer(2 * this.layout.total * 4));
    this.workerGrads = new Float32Array(new SharedArrayBuffer(this.layout.total * 4));
  }

  step(batch: TrainBatch): Promise<number> {
    return this.exclusive(async () => {
      await this.ensureStarted();
      return this.runStep(batch);
    });
  }

  ready(): Promise<void> {
    return this.exclusive(() => this.ensureStarted());
  }

  isStarted(): boolean {
    return !this.failure && Atomics.load(this.control, CONTROL.started) === 1;
  }

  readReplica(): Promise<Float32Array[]> {
    return this.exclusive(async () => {
      await this.ensureStarted();
      return (await this.request({ type: 'read' }, 'weights')).variables;
    });
  }

  async dispose(): Promise<void> {
    Atomics.store(this.control, CONTROL.shutdown, 1);
    Atomics.notify(this.control, CONTROL.weightsVersion);
    this.fail(new Error(DISPOSED));
    // referenced again, or the process could exit before the worker's exit resolves terminate()
    this.worker?.ref();
    await this.worker?.terminate();
    this.worker = undefined;
  }

  /** Runs `op` after every earlier operation, and only while the runner is healthy. */
  private exclusive<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(() => {
      if (this.failure) throw this.failure;
      return op();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private ensureStarted(): Promise<void> {
    this.started ??= this.start();
    return this.started;
  }

  private async start(): Promise<void> {
    const backend = tf.getBackend();
    if (backend !== 'wasm' && backend !== 'cpu')
      throw new Error(`Parallel training runs on the wasm or cpu backend, not ${backend}; use one thread`);
    const setup: WorkerSetup = {
      arch: this.model.config,
      backend,
      shapes: [...this.layout.shapes],
      control: this.control.buffer as SharedArrayBuffer,
      weights: this.weights.buffer as SharedArrayBuffer,
      grads: this.workerGrads.buffer as SharedArrayBuffer,
    };
    const started = this.expect('started');
    const worker = startWorker(siblingModule(import.meta.url, 'step-worker'), { workerData: setup });
    this.worker = worker;
    worker.on('message', (msg: FromWorker) => this.receive(msg));
    worker.on('error', (err) => this.workerFailed(err));
    worker.on('exit', (code) => this.workerFailed(new Error(`it exited with code ${code}`)));
    await started;
  }

  private receive(msg: FromWorker): void {
    if (msg.type === 'error') {
      this.workerFailed(new Error(msg.message));
      return;
    }
    const pending = this.pending;
    if (pending?.type !== msg.type || (msg.type === 'grads' && msg.seq !== this.seq)) return;
    this.pending = undefined;
    pending.resolve(msg);
  }

  /** Stops the runner for good: every pending and later call rejects with `err`. */
  private fail(err: Error): void {
    this.failure ??= err;
    this.pending?.reject(this.failure);
    this.pending = undefined;
    this.worker?.unref();
  }

  private workerFailed(cause: Error): void {
    const message = `Parallel training worker failed: ${cause.message}; train with --threads 1 to go on`;
    this.fail(new Error(message, { cause }));
  }

  /** Resolves with the worker's next reply of type `type`; the worker keeps the process alive only meanwhile. */
  private expect<T extends FromWorker['type']>(type: T): Promise<Reply<T>> {
    const reply = new Promise<FromWorker>((resolve, reject) => {
      this.pending = { type, resolve, reject };
    });
    this.worker?.ref();
    const done = reply.finally(() => this.worker?.unref()) as Promise<Reply<T>>;
    // a step may throw before it awaits the reply; `failure` reports the error then
    done.catch(() => undefined);
    return done;
  }

  private request<T extends FromWorker['type']>(msg: ToWorker, type: T, transfer: ArrayBuffer[] = []) {
    const reply = this.expect(type);
    this.worker?.postMessage(msg, transfer);
    return reply;
  }

  /** Writes the current weights for the worker as the next version. */
  private publishWeights(): void {
    const version = this.version + 1;
    const slot = (version % 2) * this.layout.total;
    writeVariables(this.model, this.layout, this.weights.subarray(slot, slot + this.layout.total));
    this.version = version;
    this.published = this.model.variables.map((v) => v.dataId);
    Atomics.store(this.control, CONTROL.weightsVersion, version);
    Atomics.notify(this.control, CONTROL.weightsVersion);
  }

  private changedOutside(): boolean {
    return this.model.variables.some((v, i) => v.dataId !== this.published[i]);
  }

  /** Posts the worker's rows of a batch, of weight `weight` in it, as step `seq`. */
  private dispatch(seq: number, theirs: TrainBatch, weight: number): Promise<Reply<'grads'>> {
    const input = theirs.input.slice();
    const target = theirs.target === theirs.input ? null : theirs.target.slice();
    const labels = theirs.labels ? theirs.labels.slice() : null;
    const buffers = [input, target, labels].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : []));
    const msg: ToWorker = {
      type: 'step',
      seq,
      weightsVersion: this.version,
      rows: theirs.n,
      weight,
      input,
      target,
      labels,
    };
    return this.request(msg, 'grads', buffers);
  }

  private async runStep(batch: TrainBatch): Promise<number> {
    if (this.changedOutside()) this.publishWeights();
    const seq = ++this.seq;
    const { first, second, firstWeight, secondWeight } = splitHalves(batch);
    const reply = this.dispatch(seq, second, secondWeight);
    let mine: Gradients | undefined;
    try {
      mine = gradientTensors(this.model, first, firstWeight);
      const lossA = (await mine.loss.data())[0] ?? Number.NaN;
      const { loss: lossB } = await reply;
      if (Atomics.load(this.control, CONTROL.gradsSeq) !== seq)
        throw new Error(`Expected the worker's gradients of step ${seq} but found those of another step`);
      const theirs = second.n > 0 ? flatTensors(this.layout, this.workerGrads) : null;
      try {
        applyHalves(this.model, this.optimizer, mine.grads, theirs);
      } finally {
        tf.dispose(theirs ?? []);
      }
      this.publishWeights();
      return halvesLoss(lossA, second.n > 0 ? lossB : null);
    } catch (err) {
      // the worker must stop waiting for this step's weights; the runner is done either way
      Atomics.store(this.control, CONTROL.abortSeq, seq);
      Atomics.notify(this.control, CONTROL.weightsVersion);
      this.fail(err instanceof Error ? err : new Error(String(err)));
      throw err;
    } finally {
      if (mine) tf.dispose([mine.loss, ...mine.grads]);
    }
  }
}

/**
 * Creates a runner that trains `model` with `optimizer` on two threads (this one and a worker). The
 * loss must be a mean over the batch's rows (see `parallelBlocker`) and the backend wasm or cpu.
 * `dispose()` stops the worker. A worker failure rejects `step` with the worker's message.
 */
export function createParallelRunner(model: Autoencoder, optimizer: tf.Optimizer): ParallelRunner {
  return new TwoThreadRunner(model, optimizer);
}
