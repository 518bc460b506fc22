/** Matrices with known decompositions, and a tolerant element-wise comparison, for the linear-algebra tests. */
import assert from 'node:assert/strict';

/** Asserts a and b have the same length and differ by at most `tol` everywhere. */
export function close(a: ArrayLike<number>, b: ArrayLike<number>, tol: number, label: string): void {
  assert.equal(a.length, b.length, label);
  for (let i = 0; i < a.length; i++)
    assert.ok(Math.abs((a[i] ?? 0) - (b[i] ?? 0)) <= tol, `${label}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** An orthonormal basis of R^4 (a scaled Hadamard matrix), rows are the axes. */
export const H = [
  [1, 1, 1, 1],
  [1, -1, 1, -1],
  [1, 1, -1, -1],
  [1, -1, -1, 1],
].map((r) => r.map((x) => x / 2));

/** Σ λ_i h_i h_iᵀ: a symmetric matrix with eigenvalues `lambda` along the rows of H. */
export function withEigen(lambda: number[]): Float64Array {
  const m = new Float64Array(16);
  lambda.forEach((l, i) => {
    const h = H[i] ?? [];
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 4; c++) m[r * 4 + c] = (m[r * 4 + c] ?? 0) + l * (h[r] ?? 0) * (h[c] ?? 0);
  });
  return m;
}
