/**
 * What the main thread and a training worker do with their copies of the model: split a batch, compute
 * one part's gradients into a flat buffer, average two parts, apply the result, and move weights through
 * flat buffers.
 */
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../../model/architectures/types.js';
import { batchLoss, type TrainBatch } from '../step-runner.js';

/** Where each variable's values sit in a flat buffer of all of them. */
export interface FlatLayout {
  readonly shapes: readonly number[][];
  readonly offsets: readonly number[];
  /** Floats in all variables together. */
  readonly total: number;
}

/** The flat layout of variables with these shapes, in order. */
export function flatLayout(shapes: readonly number[][]): FlatLayout {
  const offsets: number[] = [];
  let total = 0;
  for (const shape of shapes) {
    offsets.push(total);
    total += shape.reduce((a, b) => a * b, 1);
  }
  return { shapes, offsets, total };
}

/** Rows [0, at) and [at, n) of `batch`, as views (no copies); input and target stay one array if they were. */
export function splitBatch(batch: TrainBatch, at: number): [TrainBatch, TrainBatch] {
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

/**
 * Computes the gradients of `batch`'s loss for every variable of `model` into `out` (laid out by
 * `layout`) and returns the loss. Throws when a variable gets no gradient: averaging would then update
 * it where a single-thread run would not.
 */
export function gradientsInto(
  model: Autoencoder,
  batch: TrainBatch,
  layout: FlatLayout,
  out: Float32Array,
): number {
  return tf.tidy(() => {
    const { value, grads } = tf.variableGrads(() => batchLoss(model, batch), model.variables);
    model.variables.forEach((v, i) => {
      const g = grads[v.name];
      if (!g)
        throw new Error(`Variable ${v.name} gets no gradient from the loss; it cannot train in parallel`);
      out.set(g.dataSync() as Float32Array, layout.offsets[i]);
    });
    return value.dataSync()[0] ?? Number.NaN;
  });
}

/** out = a * wA + b * wB, element by element. */
export function averageInto(
  out: Float32Array,
  a: Float32Array,
  wA: number,
  b: Float32Array,
  wB: number,
): void {
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0) * wA + (b[i] ?? 0) * wB;
}

/** Applies the flat gradients `flat` to `model`'s variables with `optimizer`. */
export function applyFlat(
  model: Autoencoder,
  optimizer: tf.Optimizer,
  layout: FlatLayout,
  flat: Float32Array,
): void {
  tf.tidy(() => {
    const named: tf.NamedTensorMap = {};
    model.variables.forEach((v, i) => {
      const from = layout.offsets[i] ?? 0;
      named[v.name] = tf.tensor(flat.subarray(from, from + v.size), v.shape, 'float32');
    });
    optimizer.applyGradients(named);
  });
}

/** Copies every variable of `model` into `out`, laid out by `layout`. */
export function writeVariables(model: Autoencoder, layout: FlatLayout, out: Float32Array): void {
  model.variables.forEach((v, i) => {
    out.set(v.dataSync() as Float32Array, layout.offsets[i]);
  });
}

/** Sets every variable of `model` from `flat`, laid out by `layout`. */
export function assignVariables(model: Autoencoder, layout: FlatLayout, flat: Float32Array): void {
  tf.tidy(() => {
    model.variables.forEach((v, i) => {
      const from = layout.offsets[i] ?? 0;
      // a copy: the cpu backend would otherwise keep the shared buffer as the variable's storage
      v.assign(tf.tensor(flat.slice(from, from + v.size), v.shape, 'float32'));
    });
  });
}
