/**
 * Distributions measured over the collection when the index is built: which items are sampled, and a
 * value's percentile among a sorted sample (and back). The unusual-query score (unusual-score.ts) places
 * a query among the items with them.
 */
import { createRng, shuffleInPlace } from '../util/rng.js';

/** Items measured for the unusual-query score at build time, at most: percentiles to within ~0.01. */
export const PROFILE_SAMPLE_MAX = 20_000;

/** The unusual-query threshold by default: above the collection's 99.5th percentile. */
export const DEFAULT_UNUSUAL_PERCENTILE = 99.5;

/** Mean squared error between two equally long float arrays (model input and reconstruction). */
export function meanSquaredError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`Expected two arrays of one non-zero length but got ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] ?? 0) - (b[i] ?? 0)) ** 2;
  return sum / a.length;
}

/** The ids measured: all of them up to `max`, else a seeded random `max` of them. */
export function profileSampleIds(
  ids: readonly number[],
  seed: number,
  max = PROFILE_SAMPLE_MAX,
): Set<number> {
  if (ids.length <= max) return new Set(ids);
  return new Set(shuffleInPlace([...ids], createRng(seed)).slice(0, max));
}

/**
 * The share (in percent, 0..100) of `sorted` (ascending) below `value`, ties counting half; null when
 * `sorted` is empty.
 */
export function percentileOf(sorted: Float32Array, value: number): number | null {
  if (sorted.length === 0) return null;
  const below = lowerBound(sorted, value);
  let upTo = below;
  while (upTo < sorted.length && sorted[upTo] === value) upTo++;
  return ((below + (upTo - below) / 2) / sorted.length) * 100;
}

/** The value at `percentile` (0..100) of `sorted` (ascending), interpolated linearly; null when empty. */
export function quantileOf(sorted: Float32Array, percentile: number): number | null {
  if (sorted.length === 0) return null;
  const at = (Math.min(100, Math.max(0, percentile)) / 100) * (sorted.length - 1);
  const low = Math.floor(at);
  const lowValue = sorted[low] ?? 0;
  return lowValue + ((sorted[Math.min(low + 1, sorted.length - 1)] ?? lowValue) - lowValue) * (at - low);
}

function lowerBound(sorted: Float32Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? 0) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
