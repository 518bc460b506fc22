/** Flat row-major float vectors and the small pure operations exact search needs on them. */
import { toFloatImages } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import type { Rows } from '../math/covariance.js';
import type { Metric } from '../store/vector-index.js';

/** `count` vectors of `dims` floats, row-major. */
export type VectorSet = Rows;

/** Wraps a flat array as a VectorSet; throws when its length is not count x dims. */
export function vectorSet(data: Float32Array, dims: number): VectorSet {
  if (dims <= 0 || data.length % dims !== 0)
    throw new RangeError(`Expected a multiple of ${dims} floats but got ${data.length}`);
  return { data, count: data.length / dims, dims };
}

/** A dataset image set as [0, 1] pixel vectors. */
export function pixelVectors(set: ImageSet): VectorSet {
  return vectorSet(toFloatImages(set), set.count > 0 ? set.pixels.length / set.count : 1);
}

/** Rows `start..end` of a set, sharing its memory. */
export function rowsOf(set: VectorSet, start: number, end: number): VectorSet {
  return { data: set.data.subarray(start * set.dims, end * set.dims), count: end - start, dims: set.dims };
}

/** A copy with every row scaled to unit length; all-zero rows stay zero. */
export function normaliseRows(set: VectorSet): VectorSet {
  const out = new Float32Array(set.data.length);
  const { dims } = set;
  for (let r = 0; r < set.count; r++) {
    let sum = 0;
    for (let j = 0; j < dims; j++) sum += (set.data[r * dims + j] ?? 0) ** 2;
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < dims; j++) out[r * dims + j] = (set.data[r * dims + j] ?? 0) * scale;
  }
  return { data: out, count: set.count, dims };
}

/** Squared L2 norm of row `r`, accumulated in float64. */
export function squaredNorm(set: VectorSet, r: number): number {
  let sum = 0;
  for (let j = r * set.dims; j < (r + 1) * set.dims; j++) sum += (set.data[j] ?? 0) ** 2;
  return sum;
}

/** Squared L2 norm of every row, accumulated in float64. */
export function squaredNorms(set: VectorSet): Float32Array {
  return Float32Array.from({ length: set.count }, (_, r) => squaredNorm(set, r));
}

/** Squared L2 distance between row `a` of `x` and row `b` of `y`, in float64. */
export function squaredDistance(x: VectorSet, a: number, y: VectorSet, b: number): number {
  let sum = 0;
  const dims = x.dims;
  const xo = a * dims;
  const yo = b * dims;
  for (let j = 0; j < dims; j++) {
    const d = (x.data[xo + j] ?? 0) - (y.data[yo + j] ?? 0);
    sum += d * d;
  }
  return sum;
}

/** Converts a squared L2 distance between rows (unit rows for cosine) to the metric's distance. */
export function metricDistance(squared: number, metric: Metric): number {
  return metric === 'l2' ? Math.sqrt(Math.max(0, squared)) : Math.max(0, squared) / 2;
}
