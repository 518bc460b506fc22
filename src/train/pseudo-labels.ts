/**
 * Self-training's labels: the few picked labels spread over the code kNN graph of the whole database
 * (label propagation, Zhou et al. 2004), and the most confident share of each class kept as pseudo-labels.
 * docs/models.md ("Self-training") gives what it bought.
 */
import type * as tf from '@tensorflow/tfjs';
import { toFloatImages } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import { exactKnn, type KnnResult } from '../eval/knn.js';
import { vectorSet } from '../eval/vectors.js';
import { columnMeans } from '../math/covariance.js';
import { embedImages } from '../model/encoder.js';
import type { LabelPick } from './labels.js';
import type { LabelledImages } from './trainer.js';

/** Neighbours per image in the graph labels propagate over. */
export const PROPAGATION_NEIGHBOURS = 10;

/** How labels spread: keep `alpha` of the neighbours' mass each round; edge weight similarity^power. */
export interface PropagationOptions {
  readonly alpha: number;
  readonly rounds: number;
  readonly power: number;
}

/** The settings measured in docs/models.md. */
export const PROPAGATION_DEFAULTS: PropagationOptions = Object.freeze({ alpha: 0.99, rounds: 30, power: 3 });

/** Share of each propagated class kept as pseudo-labels, most confident first (measured, docs/models.md). */
export const PSEUDO_LABEL_SHARE = 0.8;

/** Each image's propagated class and its share of the image's label mass. */
export interface Propagated {
  readonly label: Int32Array;
  readonly confidence: Float32Array;
}

/** The seeds of propagation: database indices and their classes (0 .. classes-1). */
export interface Seeds {
  readonly indices: ArrayLike<number>;
  readonly labels: ArrayLike<number>;
}

/** The symmetric graph of `knn` (self-loops dropped), weight max(0, similarity)^power, as adjacency lists. */
function graphOf(knn: KnnResult, power: number): { next: Int32Array[]; weight: Float64Array[] } {
  const maps = Array.from({ length: knn.count }, () => new Map<number, number>());
  const link = (a: number, b: number, w: number) => {
    const map = maps[a] as Map<number, number>;
    map.set(b, Math.max(map.get(b) ?? 0, w));
  };
  for (let r = 0; r < knn.count; r++)
    for (let i = 0; i < knn.k; i++) {
      const j = knn.ids[r * knn.k + i] ?? r;
      if (j === r) continue;
      const w = Math.max(0, 1 - (knn.distances[r * knn.k + i] ?? 1)) ** power;
      link(r, j, w);
      link(j, r, w);
    }
  return {
    next: maps.map((m) => Int32Array.from(m.keys())),
    weight: maps.map((m) => Float64Array.from(m.values())),
  };
}

/**
 * Spreads `seeds` over the kNN graph `knn` of all images (cosine distances): F <- alpha S F + (1 - alpha) Y
 * with S the symmetrically normalised weights. Images the labels never reach get class 0, confidence 0.
 */
export function propagateLabels(
  knn: KnnResult,
  seeds: Seeds,
  classes: number,
  options: PropagationOptions = PROPAGATION_DEFAULTS,
): Propagated {
  const n = knn.count;
  const { next, weight } = graphOf(knn, options.power);
  const degree = Float64Array.from(weight, (w) => w.reduce((a, b) => a + b, 0) || 1);
  const y = new Float64Array(n * classes);
  for (let s = 0; s < seeds.indices.length; s++)
    y[(seeds.indices[s] ?? 0) * classes + (seeds.labels[s] ?? 0)] = 1;
  let f = y.slice();
  for (let round = 0; round < options.rounds; round++) {
    const g = new Float64Array(n * classes);
    for (let r = 0; r < n; r++) {
      const to = next[r] as Int32Array;
      const w = weight[r] as Float64Array;
      for (let e = 0; e < to.length; e++) {
        const j = to[e] ?? 0;
        const s = (w[e] ?? 0) / Math.sqrt((degree[r] ?? 1) * (degree[j] ?? 1));
        for (let c = 0; c < classes; c++)
          g[r * classes + c] = (g[r * classes + c] ?? 0) + s * (f[j * classes + c] ?? 0);
      }
    }
    for (let i = 0; i < g.length; i++) g[i] = options.alpha * (g[i] ?? 0) + (1 - options.alpha) * (y[i] ?? 0);
    f = g;
  }
  const label = new Int32Array(n);
  const confidence = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    let best = 0;
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      const v = f[r * classes + c] ?? 0;
      sum += v;
      if (v > (f[r * classes + best] ?? 0)) best = c;
    }
    label[r] = best;
    confidence[r] = sum > 0 ? (f[r * classes + best] ?? 0) / sum : 0;
  }
  return { label, confidence };
}

/**
 * The indices of the most confident `share` of each propagated class (ties at the cut kept), so every
 * class keeps pseudo-labels, the hard ones too. Images with confidence 0 are never kept.
 */
export function confidentShare(propagated: Propagated, classes: number, share: number): Int32Array {
  const { label, confidence } = propagated;
  const cut = Array.from({ length: classes }, (_, c) => {
    const values = Array.from(confidence.filter((v, i) => label[i] === c && v > 0)).sort((a, b) => b - a);
    const at = Math.max(0, Math.ceil(share * values.length) - 1);
    return values.length > 0 && share > 0 ? (values[at] ?? 0) : Number.POSITIVE_INFINITY;
  });
  const kept: number[] = [];
  confidence.forEach((v, i) => {
    if (v > 0 && v >= (cut[label[i] ?? 0] ?? Number.POSITIVE_INFINITY)) kept.push(i);
  });
  return Int32Array.from(kept);
}

/** What one estimate of the pseudo-labels gave. */
export interface PseudoLabels extends LabelledImages {
  /** Images with a pseudo-label (the picked training labels not counted). */
  readonly pseudo: number;
}

/**
 * Pseudo-labels for the database `set` from `encoder`'s codes now: the training-labelled images of `pick`
 * (never the held-out ones) propagated over the cosine kNN graph, the confident `share` of each class
 * kept, the picked images with their true labels. `perBatch` labelled images join every batch.
 */
export async function estimatePseudoLabels(
  encoder: tf.LayersModel,
  set: ImageSet,
  pick: LabelPick,
  perBatch: number,
  share = PSEUDO_LABEL_SHARE,
): Promise<PseudoLabels> {
  const labels = set.labels;
  const seeds = { indices: pick.train, labels: Array.from(pick.train, (i) => labels?.[i] ?? 0) };
  const classes = Math.max(0, ...seeds.labels) + 1;
  const codes = await embedImages(encoder, toFloatImages(set), set.count);
  const dims = codes.length / Math.max(set.count, 1);
  // centred, as the saved encoder's cosine normalisation centres them
  const mean = columnMeans(vectorSet(codes, dims));
  const centred = vectorSet(
    codes.map((v, i) => v - (mean[i % dims] ?? 0)),
    dims,
  );
  const knn = await exactKnn(centred, centred, Math.min(PROPAGATION_NEIGHBOURS + 1, set.count), 'cosine');
  const propagated = propagateLabels(knn, seeds, classes);
  const kept = confidentShare(propagated, classes, share);
  const labelOf = new Int32Array(set.count).fill(-1);
  for (const i of kept) labelOf[i] = propagated.label[i] ?? -1;
  for (let s = 0; s < pick.train.length; s++) labelOf[pick.train[s] ?? 0] = seeds.labels[s] ?? -1;
  const indices = Int32Array.from(labelOf.keys()).filter((i) => (labelOf[i] ?? -1) >= 0);
  // every picked training image is in `indices`: the rest are the pseudo-labelled ones
  return { labelOf, indices, perBatch, pseudo: indices.length - pick.train.length };
}
