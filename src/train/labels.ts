/**
 * Few-label training: which database images may show their labels (a seeded pick per class, never from
 * the query split), a held-out part of them to score epochs, and keeping the best epoch's weights.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import { createError } from '../errors.js';
import { exactKnn } from '../eval/knn.js';
import { vectorSet } from '../eval/vectors.js';
import { embedImages } from '../model/encoder.js';
import { createRng, shuffleInPlace } from '../util/rng.js';

/** The labelled images of a run, as database indices. */
export interface LabelPick {
  /** Images whose labels training uses. */
  readonly train: Int32Array;
  /** Images kept out of training, to score epochs. */
  readonly heldOut: Int32Array;
  /** Label per database index for `train` images, -1 elsewhere. */
  readonly labelOf: Int32Array;
}

/**
 * Picks `perClass` images of each class of `set` with a shuffle seeded by `seed` (all of a class when it
 * has fewer), and holds out round(holdout * picked) of each class. Throws BAD_OPTION for unlabelled sets.
 */
export function pickLabelled(set: ImageSet, perClass: number, seed: number, holdout: number): LabelPick {
  const labels = set.labels;
  if (!labels)
    throw createError('BAD_OPTION', {
      name: '--labels-per-class',
      expected: 'used with a labelled dataset',
      got: 'images without labels',
    });
  const order = shuffleInPlace(
    Int32Array.from({ length: set.count }, (_, i) => i),
    createRng(seed * 48271 + 7),
  );
  const byClass = new Map<number, number[]>();
  for (const i of order as Int32Array) {
    const label = labels[i] ?? 0;
    const list = byClass.get(label) ?? [];
    if (list.length < perClass) list.push(i);
    byClass.set(label, list);
  }
  const train: number[] = [];
  const heldOut: number[] = [];
  for (const [, list] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const out = Math.round(holdout * list.length);
    heldOut.push(...list.slice(0, out));
    train.push(...list.slice(out));
  }
  const labelOf = new Int32Array(set.count).fill(-1);
  for (const i of train) labelOf[i] = labels[i] ?? -1;
  return { train: Int32Array.from(train), heldOut: Int32Array.from(heldOut), labelOf };
}

async function codesOf(encoder: tf.LayersModel, set: ImageSet, indices: Int32Array): Promise<Float32Array> {
  const area = set.pixels.length / Math.max(set.count, 1);
  return embedImages(encoder, gatherBatch(set, indices, area), indices.length);
}

/**
 * Label precision@k of the held-out images' codes against the training-labelled images' codes (exact
 * L2 kNN): the early-stopping score. Uses only database labels.
 */
export async function heldOutPrecision(
  encoder: tf.LayersModel,
  set: ImageSet,
  pick: LabelPick,
  k = 10,
): Promise<number> {
  const labels = set.labels;
  if (!labels || pick.heldOut.length === 0 || pick.train.length === 0) return Number.NaN;
  const q = await codesOf(encoder, set, pick.heldOut);
  const db = await codesOf(encoder, set, pick.train);
  const dims = q.length / pick.heldOut.length;
  const knn = await exactKnn(vectorSet(db, dims), vectorSet(q, dims), k, 'l2');
  let hits = 0;
  knn.ids.forEach((j, at) => {
    const query = pick.heldOut[Math.floor(at / knn.k)] ?? -1;
    if (labels[pick.train[j] ?? -1] === labels[query]) hits++;
  });
  return hits / (pick.heldOut.length * knn.k);
}

/** Copies of the variables at the best score so far; `restore` puts them back. */
export class BestWeights {
  private saved: tf.Tensor[] = [];
  score = Number.NEGATIVE_INFINITY;
  epoch = 0;

  /** Keeps a copy of `variables` when `score` beats the best so far; returns whether it did. */
  offer(score: number, epoch: number, variables: readonly tf.Variable[]): boolean {
    if (!(score > this.score)) return false;
    this.dispose();
    this.saved = variables.map((v) => tf.clone(v));
    this.score = score;
    this.epoch = epoch;
    return true;
  }

  /** Assigns the kept copies back to `variables` (no-op when nothing was kept). */
  restore(variables: readonly tf.Variable[]): void {
    this.saved.forEach((t, i) => {
      variables[i]?.assign(t);
    });
  }

  /** Frees the kept copies. */
  dispose(): void {
    for (const t of this.saved) t.dispose();
    this.saved = [];
  }
}
