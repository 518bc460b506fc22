import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { covariance, fitPca, projectPca } from '../../src/eval/pca.js';
import { jacobiEigen, topEigen } from '../../src/math/eigen.js';
import { createRng, gaussian } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';

function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  assert.equal(a.length, b.length, label);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs((a[i] ?? 0) - (b[i] ?? 0)) <= tol, `${label}[${i}]: ${a[i]} vs ${b[i]}`);
}

// An orthonormal basis of R^4 (a scaled Hadamard matrix), rows are the axes.
const H = [
  [1, 1, 1, 1],
  [1, -1, 1, -1],
  [1, 1, -1, -1],
  [1, -1, -1, 1],
].map((r) => r.map((x) => x / 2));

/** Σ λ_i h_i h_iᵀ: a symmetric matrix with eigenvalues `lambda` along the rows of H. */
function withEigen(lambda: number[]): Float64Array {
  const m = new Float64Array(16);
  lambda.forEach((l, i) => {
    const h = H[i] ?? [];
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 4; c++) m[r * 4 + c] = (m[r * 4 + c] ?? 0) + l * (h[r] ?? 0) * (h[c] ?? 0);
  });
  return m;
}

describe('jacobiEigen', () => {
  it('decomposes [[2, 1], [1, 2]] into 3 along (1, 1)/√2 and 1 along (1, -1)/√2', () => {
    const e = jacobiEigen([2, 1, 1, 2], 2);
    close(e.values, [3, 1], 1e-12, 'values');
    const s = Math.SQRT1_2;
    // signs are canonical: the largest-magnitude component is positive (the first, on a tie)
    close(e.vectors, [s, s, s, -s], 1e-12, 'vectors');
  });

  it('recovers a hand-made 4x4 matrix with known eigenvalues and axes, sorted descending', () => {
    const e = jacobiEigen(withEigen([1, 7, 0.5, 3]), 4);
    close(e.values, [7, 3, 1, 0.5], 1e-12, 'values');
    // value 7 belongs to H[1], 3 to H[3], 1 to H[0], 0.5 to H[2] (each up to sign)
    [1, 3, 0, 2].forEach((axis, i) => {
      const v = Array.from(e.vectors.subarray(i * 4, i * 4 + 4));
      const dot = v.reduce((a, x, j) => a + x * (H[axis]?.[j] ?? 0), 0);
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-12, `axis ${i}: |dot| ${dot}`);
    });
  });

  it('refuses a matrix of the wrong size', () => {
    assert.throws(() => jacobiEigen([1, 2, 3], 2), {
      name: 'RangeError',
      message: 'Expected 4 entries but got 3',
    });
  });
});

describe('topEigen', () => {
  it('finds the top pairs of a larger matrix as Jacobi does', () => {
    const n = 40;
    const rng = createRng(3);
    const b = Float64Array.from({ length: n * n }, () => rng() - 0.5);
    // A = BᵀB is symmetric positive semi-definite
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += (b[r * n + i] ?? 0) * (b[r * n + j] ?? 0);
        a[i * n + j] = s;
      }
    const full = jacobiEigen(a, n);
    const top = topEigen(a, n, 5, { oversample: 8, tolerance: 1e-10 });
    assert.ok(top.residual <= 1e-10, `residual ${top.residual}`);
    close(top.values, full.values.slice(0, 5), 1e-8, 'values');
    close(top.vectors, full.vectors.slice(0, 5 * n), 1e-6, 'vectors');
  });
});

describe('PCA', () => {
  before(useTestBackend);

  /** 2,000 points in R^4: mean m plus 3·a·H[2] + 1·b·H[0] + 0.1·c·H[1], a, b, c standard normal. */
  function sample(): { data: Float32Array; count: number; dims: number } {
    const rng = createRng(11);
    const normal = () => gaussian(rng);
    const mean = [5, -2, 0.5, 1];
    const count = 2000;
    const data = new Float32Array(count * 4);
    for (let i = 0; i < count; i++) {
      const [a, b, c] = [normal() * 3, normal(), normal() * 0.1];
      for (let j = 0; j < 4; j++)
        data[i * 4 + j] = (mean[j] ?? 0) + a * (H[2]?.[j] ?? 0) + b * (H[0]?.[j] ?? 0) + c * (H[1]?.[j] ?? 0);
    }
    return { data, count, dims: 4 };
  }

  it('computes the sample covariance with tfjs products', async () => {
    const set = { data: Float32Array.from([1, 2, 3, 4, 5, 9]), count: 3, dims: 2 };
    const cov = await covariance(set, Float64Array.from([3, 5]));
    // x: 1, 3, 5 (var 4); y: 2, 4, 9 (var 13); cov(x, y) = ((-2)(-3) + 0 + 2·4) / 2 = 7
    close(cov, [4, 7, 7, 13], 1e-5, 'covariance');
  });

  it('recovers the principal axes and variances of data spread along known directions', async () => {
    const before = tf.memory().numTensors;
    const pca = await fitPca(sample(), 2);
    assert.equal(pca.dims, 2);
    close(pca.mean, [5, -2, 0.5, 1], 0.15, 'mean');
    assert.ok(Math.abs((pca.variances[0] ?? 0) - 9) < 0.8, `variance 0: ${pca.variances[0]}`);
    assert.ok(Math.abs((pca.variances[1] ?? 0) - 1) < 0.1, `variance 1: ${pca.variances[1]}`);
    [2, 0].forEach((axis, i) => {
      const v = Array.from(pca.components.subarray(i * 4, i * 4 + 4));
      const dot = v.reduce((a, x, j) => a + x * (H[axis]?.[j] ?? 0), 0);
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `component ${i} vs H[${axis}]: ${dot}`);
    });
    assert.ok(pca.explained > 0.99 && pca.explained <= 1, `explained ${pca.explained}`);
    assert.equal(tf.memory().numTensors, before);
  });

  it('projects rows onto the axes: the mean maps to 0, mean + 2·axis to (2, 0)', async () => {
    const pca = await fitPca(sample(), 2);
    const axis = pca.components.subarray(0, 4);
    const rows = Float32Array.from([...pca.mean, ...pca.mean.map((m, j) => m + 2 * (axis[j] ?? 0))]);
    const out = await projectPca(pca, { data: rows, count: 2, dims: 4 });
    close(out.data, [0, 0, 2, 0], 1e-5, 'projection');
    await assert.rejects(projectPca(pca, { data: new Float32Array(3), count: 1, dims: 3 }), {
      name: 'RangeError',
      message: 'Expected 4-d rows for this PCA but got 3-d',
    });
  });
});
