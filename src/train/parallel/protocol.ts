/**
 * Messages and shared memory between the main thread and a data-parallel training worker.
 *
 * Each step the worker computes the gradients of the second part of the batch while the main thread
 * computes those of the first. The worker's gradients come back through a SharedArrayBuffer; the main
 * thread averages them with its own, applies its optimiser, and publishes the new weights through a
 * second SharedArrayBuffer, which the worker loads before its next step. Only the main thread has an
 * optimiser, so checkpoints read the one true state.
 */
import type { ArchConfig } from '../../model/architectures/types.js';

/** Indices into the Int32Array over `WorkerSetup.control`. */
export const CONTROL = {
  /** Version of the weights in `weights`; the main thread bumps it each time it writes them. */
  weightsVersion: 0,
  /** Last step whose worker gradients are in `grads`. */
  gradsSeq: 1,
  /** Last step the main thread gave up: the worker stops waiting for its weights. */
  abortSeq: 2,
  /** 1 once the runner is disposed: a waiting worker returns. */
  shutdown: 3,
  /**
   * 1 once the worker has built its model. Read without waiting: a trainer whose steps never yield to
   * the event loop would not see the 'started' message until it awaits the worker.
   */
  started: 4,
} as const;

/** Int32 slots in the control buffer. */
export const CONTROL_SLOTS = 5;

/** What the worker is started with (workerData). */
export interface WorkerSetup {
  readonly arch: ArchConfig;
  /** The main thread's tfjs backend; the worker selects the same. */
  readonly backend: 'wasm' | 'cpu';
  /** Shapes of the model's trainable variables, in `model.variables` order. */
  readonly shapes: number[][];
  readonly control: SharedArrayBuffer;
  /** All weights flattened in `shapes` order, written by the main thread. */
  readonly weights: SharedArrayBuffer;
  /** All gradients of the worker's rows flattened in `shapes` order, written by the worker. */
  readonly grads: SharedArrayBuffer;
}

/** Main thread -> worker. */
export type ToWorker =
  /**
   * Load weights version `weightsVersion`, compute the gradients of `weight` times the mean loss over
   * the `rows` rows sent (zero rows: publish nothing but the step), publish them as step `seq`, then
   * wait for and load the next weights. `target` is null when it equals `input`.
   */
  | {
      type: 'step';
      seq: number;
      weightsVersion: number;
      rows: number;
      /** The rows' share of the batch (see halves.ts). */
      weight: number;
      input: Float32Array;
      target: Float32Array | null;
      labels: Int32Array | null;
    }
  /** Send back the worker's current weights (tests, drift checks). */
  | { type: 'read' };

/** Worker -> main thread. */
export type FromWorker =
  | { type: 'started' }
  | { type: 'grads'; seq: number; loss: number }
  | { type: 'weights'; variables: Float32Array[] }
  | { type: 'error'; message: string };
