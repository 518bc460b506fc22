/** Turns dataset bytes into float training batches. Pure JS; no tfjs. */
import { gatherBatch, gatherRows } from '../dataset/float-images.js';
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
  /** Values per pixel: 1 grayscale, 3 RGB interleaved. */
  readonly channels: number;
  /** Corruptions applied to each input row, in order. */
  readonly noise: readonly NoiseConfig[];
  /** Label per database index, -1 where hidden; null when training without labels. */
  readonly labelOf: Int32Array | null;
  /**
   * What the decoder must rebuild of each database image, rows of side*side*channels (the database in
   * the model's training frame: targets.ts); null when that is the image itself.
   */
  readonly targets: Float32Array | null;
}

/**
 * Builds the batch of database images `indices`: corrupted inputs, clean targets (the plan's, else the
 * images), and the labels the plan reveals. Pure given `rng`.
 */
export function composeBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  plan: BatchPlan,
  rng: () => number,
): TrainBatch {
  const area = plan.side * plan.side * plan.channels;
  const images = gatherBatch(set, indices, area);
  const input = plan.noise.reduce((x, noise) => corruptBatch(x, plan, noise, rng), images);
  const target = plan.targets ? gatherRows(plan.targets, indices, area) : images;
  const n = indices.length;
  const labelOf = plan.labelOf;
  const labels = labelOf ? Int32Array.from({ length: n }, (_, r) => labelOf[indices[r] ?? 0] ?? -1) : null;
  return { n, input, target, labels };
}
