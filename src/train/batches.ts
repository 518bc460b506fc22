/** Turns dataset bytes into float training batches. Pure JS; no tfjs. */
import { gatherBatch } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import type { NoiseConfig } from '../model/architectures/types.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { corruptBatch } from './noise.js';
import type { TrainBatch } from './step-runner.js';

/** The order images are visited in during `epoch`: a fixed shuffle per (seed, epoch), so resuming repeats it. */
export function epochOrder(count: number, seed: number, epoch: number): Int32Array {
  const order = Int32Array.from({ length: count }, (_, i) => i);
  shuffleInPlace(order, createRng(seed * 7919 + epoch));
  return order;
}

/** How the trainer turns database images into a training batch. */
export interface BatchPlan {
  readonly side: number;
  /** Corruptions applied to each input row, in order. */
  readonly noise: readonly NoiseConfig[];
  /** 2 when the loss compares two views of each image (rows 2i and 2i+1). */
  readonly views: 1 | 2;
  /** Label per database index, -1 where hidden; null when training without labels. */
  readonly labelOf: Int32Array | null;
}

function repeatRows(rows: Float32Array, area: number, times: number): Float32Array {
  const out = new Float32Array(rows.length * times);
  for (let i = 0; i * area < rows.length; i++) {
    const row = rows.subarray(i * area, (i + 1) * area);
    for (let t = 0; t < times; t++) out.set(row, (i * times + t) * area);
  }
  return out;
}

/**
 * Builds the batch of database images `indices`: clean targets, corrupted inputs (each view drawn
 * independently), and the labels the plan reveals. Pure given `rng`.
 */
export function composeBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  plan: BatchPlan,
  rng: () => number,
): TrainBatch {
  const area = plan.side * plan.side;
  const clean = gatherBatch(set, indices, area);
  const target = plan.views === 1 ? clean : repeatRows(clean, area, plan.views);
  const input = plan.noise.reduce((x, noise) => corruptBatch(x, plan.side, noise, rng), target);
  const n = indices.length * plan.views;
  const labelOf = plan.labelOf;
  const labels = labelOf
    ? Int32Array.from({ length: n }, (_, r) => labelOf[indices[Math.floor(r / plan.views)] ?? 0] ?? -1)
    : null;
  return { n, input, target, labels };
}
