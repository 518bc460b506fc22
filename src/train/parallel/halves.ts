/**
 * One training step as two half-batches: the arithmetic every runner of a model that can train on two
 * threads shares, so a seeded run's weights do not depend on where the halves were computed. The first
 * half (the first ceil(n / 2) rows) is this thread's, the second the worker's when there is one; their
 * gradients are combined by `applyHalves`, always first half first, with the same tfjs kernels.
 */
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../../model/architectures/types.js';
import { batchLoss, type TrainBatch } from '../step-runner.js';

/** Rows [0, at) and [at, n) of `batch`, as views (no copies); input and target stay one array if they were. */
function splitBatch(batch: TrainBatch, at: number): [TrainBatch, TrainBatch] {
  const area = batch.input.length / batch.n;
  const rows = <T extends Float32Array | Int32Array>(a: T, from: number, to: number, width: number) =>
    a.subarray(from * width, to * width) as T;
  const part = (from: number, to: number): TrainBatch => {
    const input = rows(batch.input, from, to, area);
    const target = batch.target === batch.input ? input : rows(batch.target, from, to, area);
    const labels = batch.labels ? rows(batch.labels, from, to, 1) : null;
    return { n: to - from, input, target, labels };
  };
  return [part(0, at), part(at, batch.n)];
}

/** A batch split in two: `first` then `second`, each with its share of the batch's rows. */
export interface Halves {
  /** The first ceil(n / 2) rows. */
  readonly first: TrainBatch;
  /** The other floor(n / 2) rows; none for a batch of one. */
  readonly second: TrainBatch;
  /** first.n / n and second.n / n: each half's weight in the batch mean. */
  readonly firstWeight: number;
  readonly secondWeight: number;
}

/** Splits `batch` into its first ceil(n / 2) rows and the rest (views, no copies). */
export function splitHalves(batch: TrainBatch): Halves {
  const rows = Math.floor(batch.n / 2);
  const [first, second] = splitBatch(batch, batch.n - rows);
  return { first, second, firstWeight: first.n / batch.n, secondWeight: rows / batch.n };
}

/** A loss value and its gradient per variable, in `model.variables` order; the caller disposes them. */
export interface Gradients {
  readonly loss: tf.Scalar;
  readonly grads: tf.Tensor[];
}

/**
 * The loss of `batch` times `weight` (its share of the whole batch) and that product's gradients for
 * every variable of `model`: weighted inside the gradient, so combining two halves is one add per
 * variable (the step's kernel calls are what a half-batch step pays extra). Throws when a variable gets
 * no gradient: the halves' sum would then update it where a whole-batch step would not.
 */
export function gradientTensors(model: Autoencoder, batch: TrainBatch, weight: number): Gradients {
  const { value, grads } = tf.variableGrads(() => batchLoss(model, batch).mul(weight), model.variables);
  const ordered = model.variables.map((v) => grads[v.name]);
  const missing = model.variables.find((_, i) => !ordered[i]);
  if (missing) {
    tf.dispose([value, ...Object.values(grads)]);
    throw new Error(`Variable ${missing.name} gets no gradient from the loss; it cannot train in halves`);
  }
  return { loss: value, grads: ordered as tf.Tensor[] };
}

/**
 * Applies first + second per variable with `optimizer` (both weighted by `gradientTensors`; `second`
 * null when the second half is empty): the whole batch's mean gradient, computed by the same float32
 * kernels in the same order whichever thread computed each half.
 */
export function applyHalves(
  model: Autoencoder,
  optimizer: tf.Optimizer,
  first: readonly tf.Tensor[],
  second: readonly tf.Tensor[] | null,
): void {
  tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    model.variables.forEach((v, i) => {
      const a = first[i] as tf.Tensor;
      const b = second?.[i];
      named[v.name] = b ? tf.add(a, b) : a;
    });
    optimizer.applyGradients(named);
  });
}

/** The batch's loss from its halves' weighted losses (`second` null when that half is empty). */
export function halvesLoss(first: number, second: number | null): number {
  return second === null ? first : first + second;
}
