/**
 * Out-of-distribution detection by reconstruction error: how well the autoencoder's mean squared error
 * between its input and its decoder's output separates the collection's held-out queries (negatives)
 * from images that do not belong to it (positives), as an AUROC. Every image, queries included, is sent
 * as an image file through the upload preprocessing first, so the figures hold for what a server sees.
 */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../dataset/types.js';
import { encodePng } from '../image/png.js';
import { decodeImage, type InputFormat, imageBytes } from '../image/preprocess.js';
import type { LoadedModel } from '../model/store.js';
import { mapWithConcurrency } from '../util/pool.js';
import { OOD_PROTOCOL, OOD_SEED, OOD_SETS, type OodSetName, oodFiles } from './ood-sets.js';

/** Images per built-in set, and held-out queries scored (at most; fewer when the split has fewer). */
export const OOD_SET_SIZE = 500;

/** Images decoded at once: sharp works on libuv's thread pool. */
const DECODE_CONCURRENCY = 8;

/** Rows per forward pass when scoring. */
const SCORE_BATCH = 256;

/** One set's figures. */
export interface OodSetReport {
  readonly count: number;
  /** AUROC of this set against the queries. */
  readonly auroc: number;
  readonly meanError: number;
  /** How the set was made, in words. */
  readonly method: string;
}

/** The `ood` part of the eval report. */
export interface OodReport {
  /** AUROC of every set's images together against the queries. */
  readonly auroc: number;
  readonly score: string;
  readonly seed: number;
  readonly queries: { readonly count: number; readonly meanError: number };
  readonly sets: Record<string, OodSetReport>;
}

/** Another collection to test against: its name and its images. */
export interface OtherCollection {
  readonly name: string;
  readonly images: ImageSet;
  /** The format of its images (the preprocessing turns them into the model's). */
  readonly format: InputFormat;
}

/**
 * The area under the ROC curve of `scores` telling `positives` from `negatives` (higher = more likely
 * positive): the chance that a random positive scores above a random negative, ties counting half
 * (Mann-Whitney U). NaN when either side is empty.
 */
export function auroc(negatives: ArrayLike<number>, positives: ArrayLike<number>): number {
  const n = negatives.length;
  const p = positives.length;
  if (n === 0 || p === 0) return Number.NaN;
  const all = [
    ...Array.from(negatives, (score) => ({ score, positive: false })),
    ...Array.from(positives, (score) => ({ score, positive: true })),
  ].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]?.score === all[i]?.score) j++;
    // Tied scores share the mean of their ranks (1-based).
    const rank = (i + 1 + j) / 2;
    for (let t = i; t < j; t++) if (all[t]?.positive) rankSum += rank;
    i = j;
  }
  return (rankSum - (p * (p + 1)) / 2) / (p * n);
}

/** Each file through the upload preprocessing into `format`: count x side x side x channels bytes. */
async function preprocess(
  files: readonly Uint8Array[],
  format: InputFormat,
  what: string,
): Promise<Uint8Array> {
  const area = imageBytes(format);
  const out = new Uint8Array(files.length * area);
  await mapWithConcurrency(files, DECODE_CONCURRENCY, async (file, i) => {
    out.set(await decodeImage(file, format, { what: `${what} image ${i}` }), i * area);
  });
  return out;
}

/** The first `count` images of `pixels` (in `format`) as PNG files. */
function pngFiles(pixels: Uint8Array, count: number, format: InputFormat): Buffer[] {
  const area = imageBytes(format);
  return Array.from({ length: count }, (_, i) =>
    encodePng(pixels.subarray(i * area, (i + 1) * area), format.side, format.side, format.channels),
  );
}

/** Mean squared error between each gray image (in [0, 1]) and the decoder's reconstruction of its code. */
export function reconstructionErrors(model: LoadedModel, gray: Uint8Array, area: number): Float32Array {
  const count = gray.length / area;
  const errors = new Float32Array(count);
  for (let start = 0; start < count; start += SCORE_BATCH) {
    const n = Math.min(SCORE_BATCH, count - start);
    const input = Float32Array.from(gray.subarray(start * area, (start + n) * area), (v) => v / 255);
    const out = tf.tidy(() => {
      const x = tf.tensor2d(input, [n, area]);
      const code = model.encoder.predict(x) as tf.Tensor;
      const recon = (model.decoder.predict(code) as tf.Tensor).reshape([n, area]);
      return tf.mean(tf.squaredDifference(x, recon), 1);
    });
    errors.set(out.dataSync(), start);
    out.dispose();
  }
  return errors;
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

/**
 * Scores the first OOD_SET_SIZE held-out `queries` and the built-in sets of as many images (plus each of
 * `others`, the first as many of its images) by reconstruction error, and reports the AUROC of each set
 * and of all of them together against the queries; `onSet` gets the sets done.
 */
export async function evaluateOod(
  model: LoadedModel,
  queries: ImageSet,
  format: InputFormat,
  others: readonly OtherCollection[] = [],
  onSet?: (done: number) => void,
): Promise<OodReport> {
  const area = imageBytes(format);
  const count = Math.min(OOD_SET_SIZE, queries.count);
  const queryGray = await preprocess(pngFiles(queries.pixels, count, format), format, 'held-out query');
  const negatives = reconstructionErrors(model, queryGray, area);
  const sets: Record<string, OodSetReport> = {};
  const pooled: number[] = [];
  const score = (name: string, method: string, errors: Float32Array) => {
    sets[name] = { count: errors.length, auroc: auroc(negatives, errors), meanError: mean(errors), method };
    pooled.push(...errors);
    onSet?.(Object.keys(sets).length);
  };
  for (const name of OOD_SETS) {
    const files = await oodFiles(name as OodSetName, count, format, queries.pixels);
    score(name, OOD_PROTOCOL[name], reconstructionErrors(model, await preprocess(files, format, name), area));
  }
  for (const other of others) {
    const n = Math.min(count, other.images.count);
    const gray = await preprocess(pngFiles(other.images.pixels, n, other.format), format, other.name);
    score(
      other.name,
      `the first ${n} images of another collection, sent as PNG`,
      reconstructionErrors(model, gray, area),
    );
  }
  return {
    auroc: auroc(negatives, pooled),
    score: 'mean squared error between the preprocessed image and its reconstruction, pixels in [0, 1]',
    seed: OOD_SEED,
    queries: { count, meanError: mean(negatives) },
    sets,
  };
}
