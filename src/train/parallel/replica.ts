/**
 * What the main thread and a training worker do with their copies of the model: compute one half's
 * gradients into a flat buffer, turn such a buffer back into tensors, and move weights through flat
 * buffers.
 */
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../../model/architectures/types.js';
import type { TrainBatch } from '../step-runner.js';
import { gradientTensors } from './halves.js';

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

/**
 * Computes the gradients of `batch`'s loss times `weight` for every variable of `model` into `out` (laid
 * out by `layout`) and returns that loss. Throws when a variable gets no gradient (see `gradientTensors`).
 */
export function gradientsInto(
  model: Autoencoder,
  batch: TrainBatch,
  weight: number,
  layout: FlatLayout,
  out: Float32Array,
): number {
  const { loss, grads } = gradientTensors(model, batch, weight);
  try {
    grads.forEach((g, i) => {
      out.set(g.dataSync() as Float32Array, layout.offsets[i]);
    });
    return loss.dataSync()[0] ?? Number.NaN;
  } finally {
    tf.dispose([loss, ...grads]);
  }
}

/** Tensors of the flat gradients `flat` (laid out by `layout`), one per variable; the caller disposes them. */
export function flatTensors(layout: FlatLayout, flat: Float32Array): tf.Tensor[] {
  return layout.shapes.map((shape, i) => {
    const from = layout.offsets[i] ?? 0;
    const size = shape.reduce((a, b) => a * b, 1);
    // a copy: `flat` may be shared memory the worker overwrites, and the cpu backend keeps what it is given
    return tf.tensor(flat.slice(from, from + size), shape, 'float32');
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
