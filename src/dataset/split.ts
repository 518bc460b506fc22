/** Deterministic splits and subsets of image sets. Pure. */
import { createHash } from 'node:crypto';
import { IDX_FORMAT, type InputFormat } from '../image/preprocess.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import type { ImageSet, QuerySet } from './types.js';

/** Every QUERY_STRIDE-th image (index % QUERY_STRIDE === QUERY_STRIDE - 1) is a query when a dataset has one split. */
export const QUERY_STRIDE = 10;

/** Seed of the folder datasets' query sample: the same folder always gives the same queries. */
export const QUERY_SAMPLE_SEED = 20_240_612;

/** Copies the images at `indices` (`area` bytes each) into a new set, with their database ids if any. */
export function pick(set: QuerySet, indices: readonly number[], area: number): QuerySet {
  const pixels = new Uint8Array(indices.length * area);
  const labels = set.labels ? new Int32Array(indices.length) : null;
  indices.forEach((from, to) => {
    pixels.set(set.pixels.subarray(from * area, (from + 1) * area), to * area);
    if (labels && set.labels) labels[to] = set.labels[from] ?? 0;
  });
  const sources = set.sources ? indices.map((i) => set.sources?.[i] ?? '') : undefined;
  const ids = set.databaseIds;
  const databaseIds = ids ? Int32Array.from(indices, (i) => ids[i] ?? -1) : undefined;
  return {
    count: indices.length,
    pixels,
    labels,
    ...(sources ? { sources } : {}),
    ...(databaseIds ? { databaseIds } : {}),
  };
}

/** Splits one set into database (9 in 10) and queries (every 10th), deterministically. */
export function splitEveryTenth(set: ImageSet, area: number): { database: ImageSet; queries: ImageSet } {
  const db: number[] = [];
  const q: number[] = [];
  for (let i = 0; i < set.count; i++) (i % QUERY_STRIDE === QUERY_STRIDE - 1 ? q : db).push(i);
  return { database: pick(set, db, area), queries: pick(set, q, area) };
}

/**
 * A seeded sample of about one in QUERY_STRIDE of `database`'s images (at least one), in database
 * order, as queries that know their own database ids. Nothing leaves the database.
 */
export function sampleQueries(database: ImageSet, area: number, seed = QUERY_SAMPLE_SEED): QuerySet {
  const order = Int32Array.from({ length: database.count }, (_, i) => i);
  shuffleInPlace(order, createRng(seed));
  const count = database.count === 0 ? 0 : Math.max(1, Math.round(database.count / QUERY_STRIDE));
  const chosen = Array.from(order.subarray(0, count)).sort((a, b) => a - b);
  return { ...pick(database, chosen, area), databaseIds: Int32Array.from(chosen) };
}

/** The first `limit` images of a set (all of them when limit is undefined or larger). */
export function head(set: QuerySet, limit: number | undefined, area: number): QuerySet {
  if (limit === undefined || limit >= set.count) return set;
  return pick(
    set,
    Array.from({ length: limit }, (_, i) => i),
    area,
  );
}

function sameFormat(a: InputFormat, b: InputFormat): boolean {
  return a.side === b.side && a.channels === b.channels && a.invertLightBorder === b.invertLightBorder;
}

/**
 * First 16 hex digits of sha256 over the input format, a set's pixels and labels. The IDX format is
 * left out, and labels that all fit a byte are hashed a byte each, as before formats and wide labels
 * existed, so the indexes built then still match their data.
 */
export function fingerprint(set: ImageSet, format: InputFormat): string {
  const hash = createHash('sha256');
  if (!sameFormat(format, IDX_FORMAT))
    hash.update(
      `${format.side}x${format.side}x${format.channels}${format.invertLightBorder ? ' inverted' : ''}\n`,
    );
  hash.update(set.pixels);
  const labels = set.labels;
  if (labels) hash.update(labels.every((l) => l >= 0 && l < 256) ? Uint8Array.from(labels) : labels);
  return hash.digest('hex').slice(0, 16);
}
