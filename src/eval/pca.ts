/**
 * PCA fitted on the database: the mean, the covariance by blocked tfjs products (accumulated in
 * float64), and its top principal axes by subspace iteration (eigen.ts). Projection is a tfjs product.
 */
import * as tf from '@tensorflow/tfjs';
import { topEigen } from '../math/eigen.js';
import { rowsOf, type VectorSet } from './vectors.js';

/** Rows per covariance block: 8192 x 784 floats is 26 MB. */
const COVARIANCE_BLOCK_ROWS = 8192;

/** A fitted PCA. */
export interface Pca {
  /** Input dimensions. */
  readonly inputDims: number;
  /** Output dimensions (principal components kept). */
  readonly dims: number;
  readonly mean: Float32Array;
  /** dims x inputDims unit principal axes, row-major, largest variance first. */
  readonly components: Float32Array;
  /** Variance along each kept axis (covariance eigenvalues, divisor count - 1). */
  readonly variances: Float64Array;
  /** Share of the total variance the kept axes explain, in [0, 1]. */
  readonly explained: number;
  /** Subspace iterations the eigen solver took. */
  readonly iterations: number;
}

/** Per-dimension mean of the rows, in float64. */
export function columnMeans(set: VectorSet): Float64Array {
  const mean = new Float64Array(set.dims);
  for (let r = 0; r < set.count; r++)
    for (let j = 0; j < set.dims; j++) mean[j] = (mean[j] ?? 0) + (set.data[r * set.dims + j] ?? 0);
  return mean.map((x) => x / Math.max(1, set.count));
}

/**
 * The dims x dims sample covariance (divisor count - 1) of the rows about `mean`, row-major float64.
 * Each block's XᵀX is a tfjs product; the blocks are summed in float64. `onProgress` gets rows done.
 */
export async function covariance(
  set: VectorSet,
  mean: Float64Array,
  onProgress?: (done: number) => void,
): Promise<Float64Array> {
  const d = set.dims;
  const sum = new Float64Array(d * d);
  const meanTensor = tf.tensor1d(Float32Array.from(mean));
  try {
    for (let start = 0; start < set.count; start += COVARIANCE_BLOCK_ROWS) {
      const block = rowsOf(set, start, Math.min(set.count, start + COVARIANCE_BLOCK_ROWS));
      const product = tf.tidy(() => {
        const centred = tf.tensor2d(block.data, [block.count, d]).sub(meanTensor);
        // Explicit transpose: the plain product is wasm's fast path.
        return tf.matMul(centred.transpose(), centred);
      });
      const values = await product.data();
      product.dispose();
      for (let i = 0; i < values.length; i++) sum[i] = (sum[i] ?? 0) + (values[i] ?? 0);
      onProgress?.(block.count + start);
    }
  } finally {
    meanTensor.dispose();
  }
  const divisor = Math.max(1, set.count - 1);
  return sum.map((x) => x / divisor);
}

/**
 * Fits a PCA with `dims` components to the rows of `set`. Throws RangeError when dims is not in
 * 1..set.dims. `onProgress` gets database rows done while the covariance is accumulated.
 */
export async function fitPca(
  set: VectorSet,
  dims: number,
  onProgress?: (done: number) => void,
): Promise<Pca> {
  if (!Number.isInteger(dims) || dims < 1 || dims > set.dims)
    throw new RangeError(`Expected PCA dims from 1 to ${set.dims} but got ${dims}`);
  const mean = columnMeans(set);
  const cov = await covariance(set, mean, onProgress);
  const eig = topEigen(cov, set.dims, dims);
  let trace = 0;
  for (let i = 0; i < set.dims; i++) trace += cov[i * set.dims + i] ?? 0;
  const kept = eig.values.reduce((s, x) => s + x, 0);
  return {
    inputDims: set.dims,
    dims,
    mean: Float32Array.from(mean),
    components: Float32Array.from(eig.vectors),
    variances: eig.values,
    explained: trace > 0 ? kept / trace : 0,
    iterations: eig.iterations,
  };
}

/** Projects rows onto the principal axes: (x - mean) · componentsᵀ, a count x dims VectorSet. */
export async function projectPca(pca: Pca, set: VectorSet): Promise<VectorSet> {
  if (set.dims !== pca.inputDims)
    throw new RangeError(`Expected ${pca.inputDims}-d rows for this PCA but got ${set.dims}-d`);
  const out = new Float32Array(set.count * pca.dims);
  const axes = tf.tidy(() => tf.tensor2d(pca.components, [pca.dims, pca.inputDims]).transpose());
  const mean = tf.tensor1d(pca.mean);
  try {
    for (let start = 0; start < set.count; start += COVARIANCE_BLOCK_ROWS) {
      const block = rowsOf(set, start, Math.min(set.count, start + COVARIANCE_BLOCK_ROWS));
      const projected = tf.tidy(() =>
        tf.matMul(tf.tensor2d(block.data, [block.count, set.dims]).sub(mean), axes),
      );
      out.set(await projected.data(), start * pca.dims);
      projected.dispose();
    }
  } finally {
    axes.dispose();
    mean.dispose();
  }
  return { data: out, count: set.count, dims: pca.dims };
}
