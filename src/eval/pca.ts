/**
 * PCA fitted on the database: the mean and covariance (math/covariance.ts), and its top principal axes
 * by subspace iteration (math/eigen.ts). Projection is a tfjs product.
 */
import * as tf from '@tensorflow/tfjs';
import { columnMeans, covariance, trace } from '../math/covariance.js';
import { topEigen } from '../math/eigen.js';
import { rowsOf, type VectorSet } from './vectors.js';

/** Rows per projection block: 8192 x 784 floats is 26 MB. */
const PROJECT_BLOCK_ROWS = 8192;

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
  const cov = await covariance(set, mean, { onProgress });
  const eig = topEigen(cov, set.dims, dims);
  const total = trace(cov, set.dims);
  const kept = eig.values.reduce((s, x) => s + x, 0);
  return {
    inputDims: set.dims,
    dims,
    mean: Float32Array.from(mean),
    components: Float32Array.from(eig.vectors),
    variances: eig.values,
    explained: total > 0 ? kept / total : 0,
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
    for (let start = 0; start < set.count; start += PROJECT_BLOCK_ROWS) {
      const block = rowsOf(set, start, Math.min(set.count, start + PROJECT_BLOCK_ROWS));
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
