/** The Jacobi eigen-solver, subspace iteration and matrix functions on matrices with known decompositions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jacobiEigen, matrixFunction, topEigen } from '../../src/math/eigen.js';
import { createRng } from '../../src/util/rng.js';
import { close, H, withEigen } from '../helpers/matrices.js';

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

describe('matrixFunction', () => {
  it('gives a matrix square root whose square is the matrix', () => {
    const m = [4, 1, 0, 1, 3, 1, 0, 1, 2];
    const root = matrixFunction(jacobiEigen(m, 3), Math.sqrt);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const sq = [0, 1, 2].reduce((s, k) => s + (root[i * 3 + k] ?? 0) * (root[k * 3 + j] ?? 0), 0);
        assert.ok(Math.abs(sq - (m[i * 3 + j] ?? 0)) < 1e-9, `(${i}, ${j}): ${sq}`);
      }
    }
  });

  it('maps each eigenvalue on its own axis: the inverse square root of a known matrix', () => {
    const inverseRoot = matrixFunction(jacobiEigen(withEigen([1, 4, 0.25, 16]), 4), (v) => 1 / Math.sqrt(v));
    close(inverseRoot, withEigen([1, 0.5, 2, 0.25]), 1e-12, 'inverse square root');
  });
});
