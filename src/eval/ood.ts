/**
 * Out-of-distribution detection by the unusual-query score (store/unusual-score.ts), the one the server
 * flags queries by: how well it separates the collection's held-out queries (negatives) from images that
 * do not belong to it (positives), as an AUROC, beside the AUROC of the plain reconstruction error. The
 * collection's profile is measured from the database as `aesearch index` measures it (the same seeded
 * sample), and every image, queries included, is sent as an image file through the upload preprocessing
 * first, so the figures hold for what a server sees.
 */
import type { ImageSet } from '../dataset/types.js';
import { encodePng } from '../image/png.js';
import { decodeImage, type InputFormat, imageBytes, toUnitFloat } from '../image/preprocess.js';
import { decoderFrameBytes } from '../model/architectures/input-steps.js';
import { embedImages, reconstructCodes } from '../model/encoder.js';
import type { LoadedModel } from '../model/store.js';
import { measureUnusualRows } from '../store/collection-profile.js';
import {
  DEFAULT_UNUSUAL_PERCENTILE,
  meanSquaredError,
  profileSampleIds,
} from '../store/error-distribution.js';
import {
  buildUnusualProfile,
  UNUSUAL_FEATURES,
  type UnusualFeature,
  type UnusualProfile,
  unusualFeatures,
  unusualScore,
  unusualThreshold,
} from '../store/unusual-score.js';
import { DEFAULT_HNSW } from '../store/vector-index.js';
import { mapWithConcurrency } from '../util/pool.js';
import { OOD_PROTOCOL, OOD_SEED, OOD_SETS, type OodSetName, oodFiles } from './ood-sets.js';

/** Images per built-in set, and held-out queries scored (at most; fewer when the split has fewer). */
export const OOD_SET_SIZE = 500;

/** Images decoded at once: sharp works on libuv's thread pool. */
const DECODE_CONCURRENCY = 8;

/** One set's figures. */
export interface OodSetReport {
  readonly count: number;
  /** AUROC of the unusual-query score, this set against the queries. */
  readonly auroc: number;
  /** AUROC of the plain reconstruction error, for comparison. */
  readonly errorAuroc: number;
  /** Share of the set the server flags unusual at the default threshold. */
  readonly unusualShare: number;
  readonly meanError: number;
  /** How the set was made, in words. */
  readonly method: string;
}

/** The `ood` part of the eval report. */
export interface OodReport {
  /** AUROC of the unusual-query score, every set's images together against the queries. */
  readonly auroc: number;
  /** The same for the plain reconstruction error. */
  readonly errorAuroc: number;
  /** What `auroc` scores, in words. */
  readonly score: string;
  readonly basedOn: readonly UnusualFeature[];
  /** The default threshold: its percentile of the collection's scores and the score there. */
  readonly threshold: { readonly percentile: number; readonly score: number | null };
  /** Database items the collection's profile was measured on. */
  readonly profileItems: number;
  readonly seed: number;
  /** The held-out queries; `unusualShare` is the share flagged unusual (false positives). */
  readonly queries: { readonly count: number; readonly meanError: number; readonly unusualShare: number };
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

/** What one image scores: the unusual-query score and the plain reconstruction error. */
interface Scored {
  readonly scores: Float32Array;
  readonly errors: Float32Array;
}

/**
 * The unusual-query score (against `profile`) and the reconstruction error (mean squared, pixels in
 * [0, 1]) of each image of `gray` (model inputs, count x area bytes).
 */
export async function scoreImages(
  model: LoadedModel,
  profile: UnusualProfile,
  gray: Uint8Array,
  format: InputFormat,
): Promise<Scored> {
  const area = imageBytes(format);
  const count = gray.length / area;
  const codes = await embedImages(model.encoder, toUnitFloat(gray), count);
  const recon = await reconstructCodes(model.decoder, codes, count);
  // what the decoder rebuilds: the inputs re-centred when the model re-centres
  const seen = decoderFrameBytes(model.manifest.arch, gray);
  const scores = new Float32Array(count);
  const errors = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const input = seen.subarray(i * area, (i + 1) * area);
    const out = recon.subarray(i * area, (i + 1) * area);
    scores[i] = unusualScore(profile, unusualFeatures(input, out, format)) ?? Number.NaN;
    errors[i] = meanSquaredError(toUnitFloat(input), out);
  }
  return { scores, errors };
}

/**
 * The unusual-query profile of `database` as `aesearch index` (default HNSW seed) measures the collection
 * seeded from it: the same seeded sample of items, their codes and reconstructions, their features.
 */
export async function databaseProfile(
  model: LoadedModel,
  database: ImageSet,
  format: InputFormat,
): Promise<UnusualProfile> {
  const area = imageBytes(format);
  const ids = [
    ...profileSampleIds(
      Array.from({ length: database.count }, (_, i) => i),
      DEFAULT_HNSW.seed,
    ),
  ];
  const inputs = new Uint8Array(ids.length * area);
  ids.forEach((id, j) => {
    inputs.set(database.pixels.subarray(id * area, (id + 1) * area), j * area);
  });
  const codes = await embedImages(model.encoder, toUnitFloat(inputs), ids.length);
  return buildUnusualProfile(await measureUnusualRows(model, codes, inputs, ids.length, format));
}

function mean(values: Float32Array): number {
  let sum = 0;
  for (const v of values) sum += v;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

function shareAbove(values: Float32Array, threshold: number | null): number {
  if (threshold === null || values.length === 0) return Number.NaN;
  return values.filter((v) => v > threshold).length / values.length;
}

/**
 * Measures the collection's profile on `database`, scores the first OOD_SET_SIZE held-out `queries` and
 * the built-in sets of as many images (plus each of `others`, the first as many of its images), and
 * reports the AUROC of each set and of all of them together against the queries, by the unusual-query
 * score and by the plain reconstruction error; `onSet` gets the sets done.
 */
export async function evaluateOod(
  model: LoadedModel,
  database: ImageSet,
  queries: ImageSet,
  format: InputFormat,
  others: readonly OtherCollection[] = [],
  onSet?: (done: number) => void,
): Promise<OodReport> {
  const profile = await databaseProfile(model, database, format);
  const threshold = unusualThreshold(profile, DEFAULT_UNUSUAL_PERCENTILE);
  const count = Math.min(OOD_SET_SIZE, queries.count);
  const queryGray = await preprocess(pngFiles(queries.pixels, count, format), format, 'held-out query');
  const negatives = await scoreImages(model, profile, queryGray, format);
  const sets: Record<string, OodSetReport> = {};
  const pooled: Scored[] = [];
  const report = (name: string, method: string, scored: Scored) => {
    sets[name] = {
      count: scored.scores.length,
      auroc: auroc(negatives.scores, scored.scores),
      errorAuroc: auroc(negatives.errors, scored.errors),
      unusualShare: shareAbove(scored.scores, threshold),
      meanError: mean(scored.errors),
      method,
    };
    pooled.push(scored);
    onSet?.(Object.keys(sets).length);
  };
  for (const name of OOD_SETS) {
    const files = await oodFiles(name as OodSetName, count, format, queries.pixels);
    report(
      name,
      OOD_PROTOCOL[name],
      await scoreImages(model, profile, await preprocess(files, format, name), format),
    );
  }
  for (const other of others) {
    const n = Math.min(count, other.images.count);
    const gray = await preprocess(pngFiles(other.images.pixels, n, other.format), format, other.name);
    report(
      other.name,
      `the first ${n} images of another collection, sent as PNG`,
      await scoreImages(model, profile, gray, format),
    );
  }
  const all = (key: keyof Scored) => pooled.flatMap((p) => Array.from(p[key]));
  return {
    auroc: auroc(negatives.scores, all('scores')),
    errorAuroc: auroc(negatives.errors, all('errors')),
    score:
      "the unusual-query score: the largest of three percentiles among the collection's items, of the reconstruction's mean squared error per bit of the input's deflated size, of the error of its neighbouring pixels' differences, and of the input's simplicity (minus those bits)",
    basedOn: UNUSUAL_FEATURES,
    threshold: { percentile: DEFAULT_UNUSUAL_PERCENTILE, score: threshold },
    profileItems: profile.scores.length,
    seed: OOD_SEED,
    queries: {
      count,
      meanError: mean(negatives.errors),
      unusualShare: shareAbove(negatives.scores, threshold),
    },
    sets,
  };
}
