/** Deterministic splits and subsets of image sets. Pure. */
import { createHash } from 'node:crypto';
import type { ImageSet } from './types.js';

/** Every QUERY_STRIDE-th image (index % QUERY_STRIDE === QUERY_STRIDE - 1) is a query when a dataset has one split. */
export const QUERY_STRIDE = 10;

/** Copies the images at `indices` into a new set. */
export function pick(set: ImageSet, indices: readonly number[], side: number): ImageSet {
  const area = side * side;
  const pixels = new Uint8Array(indices.length * area);
  const labels = set.labels ? new Int32Array(indices.length) : null;
  indices.forEach((from, to) => {
    pixels.set(set.pixels.subarray(from * area, (from + 1) * area), to * area);
    if (labels && set.labels) labels[to] = set.labels[from] ?? 0;
  });
  const sources = set.sources ? indices.map((i) => set.sources?.[i] ?? '') : undefined;
  return { count: indices.length, pixels, labels, ...(sources ? { sources } : {}) };
}

/** Splits one set into database (9 in 10) and queries (every 10th), deterministically. */
export function splitEveryTenth(set: ImageSet, side: number): { database: ImageSet; queries: ImageSet } {
  const db: number[] = [];
  const q: number[] = [];
  for (let i = 0; i < set.count; i++) (i % QUERY_STRIDE === QUERY_STRIDE - 1 ? q : db).push(i);
  return { database: pick(set, db, side), queries: pick(set, q, side) };
}

/** The first `limit` images of a set (all of them when limit is undefined or larger). */
export function head(set: ImageSet, limit: number | undefined, side: number): ImageSet {
  if (limit === undefined || limit >= set.count) return set;
  return pick(
    set,
    Array.from({ length: limit }, (_, i) => i),
    side,
  );
}

/**
 * First 16 hex digits of sha256 over a set's pixels and labels. Labels that all fit a byte are hashed a
 * byte each, as when labels were stored in bytes, so the indexes built then still match their data.
 */
export function fingerprint(set: ImageSet): string {
  const hash = createHash('sha256').update(set.pixels);
  const labels = set.labels;
  if (labels) hash.update(labels.every((l) => l >= 0 && l < 256) ? Uint8Array.from(labels) : labels);
  return hash.digest('hex').slice(0, 16);
}
