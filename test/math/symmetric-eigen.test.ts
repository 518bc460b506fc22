/** The Jacobi eigen-solver on matrices with known decompositions. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matrixFunction, symmetricEigen } from '../../src/math/symmetric-eigen.js';

describe('symmetricEigen', () => {
  it('finds the eigenvalues 1 and 3 of [[2, 1], [1, 2]] with unit eigenvectors', () => {
    const { values, vectors } = symmetricEigen([2, 1, 1, 2], 2);
    assert.deepEqual([...values].map((v) => Math.round(v * 1e9) / 1e9).sort(), [1, 3]);
    for (const j of [0, 1]) {
      const x = vectors[j] ?? 0;
      const y = vectors[2 + j] ?? 0;
      assert.ok(Math.abs(Math.hypot(x, y) - 1) < 1e-12);
      // A v = lambda v
      assert.ok(Math.abs(2 * x + y - (values[j] ?? 0) * x) < 1e-9);
    }
  });

  it('gives a matrix square root whose square is the matrix', () => {
    const m = [4, 1, 0, 1, 3, 1, 0, 1, 2];
    const root = matrixFunction(symmetricEigen(m, 3), Math.sqrt);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        const sq = [0, 1, 2].reduce((s, k) => s + (root[i * 3 + k] ?? 0) * (root[k * 3 + j] ?? 0), 0);
        assert.ok(Math.abs(sq - (m[i * 3 + j] ?? 0)) < 1e-9, `(${i}, ${j}): ${sq}`);
      }
    }
  });
});
