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

/**
 * Labels of the rows that show unlabelled images twice: each pair gets an id of its own from here up,
 * above every class index, so the label term takes the two views of an image as a positive pair.
 */
export const VIEW_PAIR_LABEL = 1 << 24;

/**
 * Builds a batch that shows each of the database images `fresh` twice, corrupted independently (two
 * views), then `extra` once: rows [fresh view 1, fresh view 2, extra]. A fresh image keeps the label the
 * plan reveals; an unlabelled one gets a label of its own (VIEW_PAIR_LABEL + its position), shared by its
 * two views only. With `split`, the first view takes only the plan's first corruption and the second the
 * others (a shifted and a noisy copy, say), so the pair ties views corrupted in different ways. Pure given
 * `rng`. (The label term compares whole batches, which never train in halves:
 * train/parallel/index.ts.)
 */
export function composeViewsBatch(
  set: ImageSet,
  fresh: ArrayLike<number>,
  extra: ArrayLike<number>,
  plan: BatchPlan,
  rng: () => number,
  split = false,
): TrainBatch {
  const [firstNoise, secondNoise] = split
    ? [plan.noise.slice(0, 1), plan.noise.slice(1)]
    : [plan.noise, plan.noise];
  const first = composeBatch(set, fresh, { ...plan, noise: firstNoise }, rng);
  const second = composeBatch(set, fresh, { ...plan, noise: secondNoise }, rng);
  const once = composeBatch(set, extra, plan, rng);
  const pairs = Int32Array.from({ length: first.n }, (_, r) => {
    const label = first.labels?.[r] ?? -1;
    return label >= 0 ? label : VIEW_PAIR_LABEL + r;
  });
  const rows = [first, second, once];
  return {
    n: first.n * 2 + once.n,
    input: joined(
      Float32Array,
      rows.map((p) => p.input),
    ),
    target: joined(
      Float32Array,
      rows.map((p) => p.target),
    ),
    labels: joined(Int32Array, [pairs, pairs, once.labels ?? new Int32Array(once.n).fill(-1)]),
  };
}

/** `parts` end to end in one new array of `Kind`. */
function joined<T extends Float32Array | Int32Array>(
  Kind: new (length: number) => T,
  parts: readonly T[],
): T {
  const out = new Kind(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
