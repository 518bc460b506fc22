/** Eigen-decomposition of small symmetric matrices (code covariances, at most a few hundred dims), in float64. */

/** Eigenvalues and unit eigenvectors (column j of the row-major `vectors` belongs to `values[j]`). */
export interface SymmetricEigen {
  readonly values: Float64Array;
  /** n x n, row-major. */
  readonly vectors: Float64Array;
}

/** Sum of squares of the off-diagonal entries. */
function offDiagonal(a: Float64Array, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) s += (a[i * n + j] ?? 0) ** 2;
  return s;
}

/** Applies the Jacobi rotation that zeroes a[p][q] to `a` (both sides) and to the eigenvector matrix `v`. */
function rotate(a: Float64Array, v: Float64Array, n: number, p: number, q: number): void {
  const apq = a[p * n + q] ?? 0;
  if (Math.abs(apq) < 1e-300) return;
  const theta = ((a[q * n + q] ?? 0) - (a[p * n + p] ?? 0)) / (2 * apq);
  const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
  const c = 1 / Math.sqrt(t * t + 1);
  const s = t * c;
  for (let k = 0; k < n; k++) {
    const akp = a[k * n + p] ?? 0;
    const akq = a[k * n + q] ?? 0;
    a[k * n + p] = c * akp - s * akq;
    a[k * n + q] = s * akp + c * akq;
  }
  for (let k = 0; k < n; k++) {
    const apk = a[p * n + k] ?? 0;
    const aqk = a[q * n + k] ?? 0;
    a[p * n + k] = c * apk - s * aqk;
    a[q * n + k] = s * apk + c * aqk;
  }
  for (let k = 0; k < n; k++) {
    const vkp = v[k * n + p] ?? 0;
    const vkq = v[k * n + q] ?? 0;
    v[k * n + p] = c * vkp - s * vkq;
    v[k * n + q] = s * vkp + c * vkq;
  }
}

/** Eigen-decomposes the symmetric n x n row-major `matrix` by cyclic Jacobi sweeps (converges quadratically). */
export function symmetricEigen(matrix: ArrayLike<number>, n: number, maxSweeps = 60): SymmetricEigen {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let scale = 0;
  for (let i = 0; i < a.length; i++) scale += (a[i] ?? 0) ** 2;
  for (let sweep = 0; sweep < maxSweeps && offDiagonal(a, n) > 1e-24 * scale; sweep++) {
    for (let p = 0; p < n - 1; p++) for (let q = p + 1; q < n; q++) rotate(a, v, n, p, q);
  }
  return { values: Float64Array.from({ length: n }, (_, i) => a[i * n + i] ?? 0), vectors: v };
}

/** f(M) = V diag(f(values)) V^T for a decomposed symmetric M, row-major. */
export function matrixFunction(eigen: SymmetricEigen, f: (value: number) => number): Float64Array {
  const n = eigen.values.length;
  const out = new Float64Array(n * n);
  const fv = eigen.values.map(f);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++)
        s += (eigen.vectors[i * n + k] ?? 0) * (fv[k] ?? 0) * (eigen.vectors[j * n + k] ?? 0);
      out[i * n + j] = s;
    }
  }
  return out;
}
