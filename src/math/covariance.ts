/**
 * Column means, scatter and covariance of row-major float rows, and the trace, in float64. The scatter
 * XᵀX of the centred rows is a tfjs product per block of rows (fast for pixel rows, 784-d), summed in
 * float64. Used by the code normalisation (model/code-norm.ts) and the eval's PCA (eval/pca.ts).
 */
import * as tf from '@tensorflow/tfjs';

/** `count` rows of `dims` floats, row-major. */
export interface Rows {
  readonly data: Float32Array;
  readonly count: number;
  readonly dims: number;
}

/** Rows per scatter block: 8192 x 784 floats is 26 MB. */
const SCATTER_BLOCK_ROWS = 8192;

/** Per-dimension mean of the rows, in float64 (zeros when there are none). */
export function columnMeans(rows: Rows): Float64Array {
  const mean = new Float64Array(rows.dims);
  for (let r = 0; r < rows.count; r++)
    for (let j = 0; j < rows.dims; j++) mean[j] = (mean[j] ?? 0) + (rows.data[r * rows.dims + j] ?? 0);
  return mean.map((x) => x / Math.max(1, rows.count));
}

/**
 * The dims x dims scatter Σ (x - mean)(x - mean)ᵀ of the rows, row-major float64. Each block's XᵀX is a
 * tfjs product; the blocks are summed in float64. `onProgress` gets rows done.
 */
export async function scatterMatrix(
  rows: Rows,
  mean: Float64Array,
  onProgress?: (done: number) => void,
): Promise<Float64Array> {
  const d = rows.dims;
  const sum = new Float64Array(d * d);
  const meanTensor = tf.tensor1d(Float32Array.from(mean));
  try {
    for (let start = 0; start < rows.count; start += SCATTER_BLOCK_ROWS) {
      const end = Math.min(rows.count, start + SCATTER_BLOCK_ROWS);
      const block = rows.data.subarray(start * d, end * d);
      const product = tf.tidy(() => {
        const centred = tf.tensor2d(block, [end - start, d]).sub(meanTensor);
        // Explicit transpose: the plain product is wasm's fast path.
        return tf.matMul(centred.transpose(), centred);
      });
      const values = await product.data();
      product.dispose();
      for (let i = 0; i < values.length; i++) sum[i] = (sum[i] ?? 0) + (values[i] ?? 0);
      onProgress?.(end);
    }
  } finally {
    meanTensor.dispose();
  }
  return sum;
}

/**
 * The dims x dims covariance of the rows about `mean`, row-major float64: the scatter divided by
 * count - 1 (the sample covariance), or by count with `population`. `onProgress` gets rows done.
 */
export async function covariance(
  rows: Rows,
  mean: Float64Array,
  options: { readonly population?: boolean; readonly onProgress?: (done: number) => void } = {},
): Promise<Float64Array> {
  const scatter = await scatterMatrix(rows, mean, options.onProgress);
  const divisor = Math.max(1, options.population ? rows.count : rows.count - 1);
  return scatter.map((x) => x / divisor);
}

/** The trace of the n x n row-major `matrix`. */
export function trace(matrix: ArrayLike<number>, n: number): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += matrix[i * n + i] ?? 0;
  return sum;
}
