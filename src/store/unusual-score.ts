/**
 * The unusual-query score: how unlike the collection's items an image is, from the model input and the
 * decoder's reconstruction of it. Three features, each placed as a percentile among the collection's
 * items, and the largest of them is the score:
 *
 * - `errorPerBit`: the reconstruction's mean squared error divided by the input's complexity, the bits per
 *   value deflate needs for its bytes. Plain error calls flat and simple images usual, as they rebuild
 *   well (Serrà et al. 2020, "Input complexity and out-of-distribution detection with likelihood-based
 *   generative models", correct likelihoods by compressed size the same way).
 * - `gradientError`: the mean squared error between the input's and the reconstruction's differences of
 *   neighbouring pixels: edges the decoder cannot draw (inverted objects, strokes, noise).
 * - `simplicity`: minus those bits per value: an image simpler than nearly every item (a blank one, which
 *   the decoder rebuilds almost exactly, so that even its error per bit passes).
 *
 * The same functions measure the items when the index is built (collection-profile.ts) and a query when
 * it is searched, so the score's percentile among the items' scores keeps the share of the collection's
 * own images flagged at 100 - the threshold percentile. Pure, apart from node's zlib doing the deflate.
 */
import { deflateRawSync } from 'node:zlib';
import type { InputFormat } from '../image/preprocess.js';
import { meanSquaredError, percentileOf, quantileOf } from './error-distribution.js';

/** The features, in the order every row and the profile hold them. */
export const UNUSUAL_FEATURES = ['errorPerBit', 'gradientError', 'simplicity'] as const;
export type UnusualFeature = (typeof UNUSUAL_FEATURES)[number];

/** zlib level of the complexity measure: the best compression, as Serrà et al. use. */
const DEFLATE_LEVEL = 9;

/** The collection's features and scores as measured at build time, each ascending. */
export interface UnusualProfile {
  /** One sorted sample per feature of UNUSUAL_FEATURES, all of one length. */
  readonly features: readonly Float32Array[];
  /** The sampled items' scores, ascending. */
  readonly scores: Float32Array;
}

/** A query's score and that score's percentile among the collection's; both null when not measured. */
export interface Unusualness {
  /** The largest of the query's feature percentiles among the items' (0..100). */
  readonly score: number | null;
  /** The score's percentile among the items' scores (0..100; 100 = above every item). */
  readonly percentile: number | null;
}

/** Bits per value that raw deflate (level 9) needs for `bytes`: the input's complexity. */
export function compressedBits(bytes: Uint8Array): number {
  if (bytes.length === 0) throw new RangeError('Expected a non-empty image but got 0 bytes');
  return (deflateRawSync(bytes, { level: DEFLATE_LEVEL }).length * 8) / bytes.length;
}

/**
 * Mean squared error between the differences of horizontally and vertically neighbouring values of
 * `input` and those of `reconstruction` (both side x side x channels, interleaved, in [0, 1]).
 */
export function gradientError(
  input: ArrayLike<number>,
  reconstruction: ArrayLike<number>,
  format: Pick<InputFormat, 'side' | 'channels'>,
): number {
  const { side, channels } = format;
  if (input.length !== side * side * channels || reconstruction.length !== input.length || side < 2)
    throw new RangeError(
      `Expected two images of ${side} x ${side} x ${channels} values (side at least 2) but got ${input.length} and ${reconstruction.length}`,
    );
  const row = side * channels;
  const diff = (i: number, j: number) =>
    (input[j] ?? 0) - (input[i] ?? 0) - ((reconstruction[j] ?? 0) - (reconstruction[i] ?? 0));
  let sum = 0;
  for (let y = 0; y < side; y++)
    for (let x = 0; x < row; x++) {
      const i = y * row + x;
      if (x + channels < row) sum += diff(i, i + channels) ** 2;
      if (y + 1 < side) sum += diff(i, i + row) ** 2;
    }
  return sum / (2 * side * (side - 1) * channels);
}

/**
 * The features of one image, in UNUSUAL_FEATURES order: `input` is the model input (bytes), and
 * `reconstruction` the decoder's output for its code (floats, pixels in [0, 1]).
 */
export function unusualFeatures(
  input: Uint8Array,
  reconstruction: ArrayLike<number>,
  format: Pick<InputFormat, 'side' | 'channels'>,
): number[] {
  const unit = Float32Array.from(input, (v) => v / 255);
  const bits = compressedBits(input);
  return [meanSquaredError(unit, reconstruction) / bits, gradientError(unit, reconstruction, format), -bits];
}

/**
 * The profile of the collection from its sampled items' feature rows (UNUSUAL_FEATURES order): each
 * feature sorted, and each item's score, its features placed among the sample as a query's are (itself
 * included, counting half as a tie): a stored item searched for scores what it scored here, and an image
 * above every item scores 100, above the items' highest (100 - 50 / items). Throws RangeError for rows
 * of another length.
 */
export function buildUnusualProfile(rows: readonly (readonly number[])[]): UnusualProfile {
  const width = UNUSUAL_FEATURES.length;
  const bad = rows.findIndex((r) => r.length !== width || r.some((v) => Number.isNaN(v)));
  if (bad >= 0) throw new RangeError(`Expected ${width} numbers in row ${bad} but got ${rows[bad]}`);
  const profile = {
    features: UNUSUAL_FEATURES.map((_, f) => Float32Array.from(rows, (r) => r[f] ?? 0).sort()),
    scores: new Float32Array(0),
  };
  const scores = Float32Array.from(rows, (row) => unusualScore(profile, row) ?? 0).sort();
  return { features: profile.features, scores };
}

/**
 * The largest of `features`' percentiles among the profile's items, as float32 (as the items' scores are
 * kept); null for an empty profile.
 */
export function unusualScore(profile: UnusualProfile, features: readonly number[]): number | null {
  if ((profile.features[0]?.length ?? 0) === 0) return null;
  let score = 0;
  profile.features.forEach((sorted, f) => {
    score = Math.max(score, percentileOf(sorted, Math.fround(features[f] ?? 0)) ?? 0);
  });
  return Math.fround(score);
}

/**
 * How unusual an image is against `profile` (null: not measured, both figures null): its score and the
 * score's percentile among the collection's items' scores.
 */
export function measureUnusual(
  profile: UnusualProfile | null,
  input: Uint8Array,
  reconstruction: ArrayLike<number>,
  format: Pick<InputFormat, 'side' | 'channels'>,
): Unusualness {
  const score = profile ? unusualScore(profile, unusualFeatures(input, reconstruction, format)) : null;
  if (!profile || score === null) return { score: null, percentile: null };
  return { score, percentile: percentileOf(profile.scores, score) };
}

/**
 * The score at `percentile` (0..100) of the collection's items' scores: a query scoring above it is
 * unusual. Null when not measured.
 */
export function unusualThreshold(profile: UnusualProfile | null, percentile: number): number | null {
  return profile ? quantileOf(profile.scores, percentile) : null;
}
