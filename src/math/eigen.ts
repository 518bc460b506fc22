/**
 * Symmetric eigen-decomposition in float64, pure JS: cyclic Jacobi for small matrices, and subspace
 * iteration with Rayleigh-Ritz (Jacobi on the small projected matrix) for the top d of a large one.
 * Matrices are row-major Float64Arrays; eigenvectors come back as rows, largest eigenvalue first, each
 * signed so that its largest-magnitude component is positive. `matrixFunction` applies a function to a
 * decomposed matrix (the code normalisation's whitening).
 */
import { createRng } from '../util/rng.js';

/** Eigenvalues (descending) and unit eigenvectors (row i belongs to value i). */
export interface Eigen {
  readonly values: Float64Array;
  /** values.length x n, row-major. */
  readonly vectors: Float64Array;
}

/** Stopping rules for `jacobiEigen`. */
const JACOBI_MAX_SWEEPS = 100;

function rotate(m: Float64Array, n: number, p: number, q: number, c: number, s: number, rows: boolean): void {
  for (let r = 0; r < n; r++) {
    const ip = rows ? p * n + r : r * n + p;
    const iq = rows ? q * n + r : r * n + q;
    const xp = m[ip] ?? 0;
    const xq = m[iq] ?? 0;
    m[ip] = c * xp - s * xq;
    m[iq] = s * xp + c * xq;
  }
}

function offDiagonal(a: Float64Array, n: number): number {
  let off = 0;
  for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += (a[p * n + q] ?? 0) ** 2;
  return off;
}

/**
 * All eigenvalues and eigenvectors of the symmetric n x n matrix `matrix` by cyclic Jacobi rotations,
 * until the off-diagonal mass is below 1e-30 of the total (or 100 sweeps). O(n³) per sweep: for n up
 * to a few hundred. Throws RangeError when the matrix is not n x n.
 */
export function jacobiEigen(matrix: ArrayLike<number>, n: number): Eigen {
  if (matrix.length !== n * n) throw new RangeError(`Expected ${n * n} entries but got ${matrix.length}`);
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const total = a.reduce((s, x) => s + x * x, 0);
  for (let sweep = 0; sweep < JACOBI_MAX_SWEEPS; sweep++) {
    if (offDiagonal(a, n) <= 1e-30 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q] ?? 0;
        if (apq === 0) continue;
        const theta = ((a[q * n + q] ?? 0) - (a[p * n + p] ?? 0)) / (2 * apq);
        const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        rotate(a, n, p, q, c, s, false);
        rotate(a, n, p, q, c, s, true);
        rotate(v, n, p, q, c, s, false);
      }
    }
  }
  const values = Float64Array.from({ length: n }, (_, i) => a[i * n + i] ?? 0);
  // v holds eigenvectors as columns; return them as rows.
  const vectors = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vectors[i * n + j] = v[j * n + i] ?? 0;
  return sortEigen(values, vectors, n, n);
}

/** Keeps the `d` largest eigenpairs, sorted descending, with canonical signs. */
function sortEigen(values: Float64Array, vectors: Float64Array, n: number, d: number): Eigen {
  const order = Array.from(values.keys()).sort((x, y) => (values[y] ?? 0) - (values[x] ?? 0));
  const outValues = new Float64Array(d);
  const outVectors = new Float64Array(d * n);
  for (let i = 0; i < d; i++) {
    const from = order[i] ?? 0;
    outValues[i] = values[from] ?? 0;
    const row = vectors.subarray(from * n, (from + 1) * n);
    let big = 0;
    for (let j = 1; j < n; j++) if (Math.abs(row[j] ?? 0) > Math.abs(row[big] ?? 0)) big = j;
    const sign = (row[big] ?? 0) < 0 ? -1 : 1;
    for (let j = 0; j < n; j++) outVectors[i * n + j] = sign * (row[j] ?? 0);
  }
  return { values: outValues, vectors: outVectors };
}

/** Options for `topEigen`. */
export interface TopEigenOptions {
  /** Extra basis vectors beyond d; more converge faster (default 16). */
  readonly oversample?: number;
  /** Stop when every residual ||A v - λ v|| is at most tolerance · |λ_1| (default 1e-7). */
  readonly tolerance?: number;
  readonly maxIterations?: number;
  readonly seed?: number;
}

/** The top-d eigenpairs and the iterations subspace iteration took. */
export interface TopEigen extends Eigen {
  readonly iterations: number;
  /** Largest residual ||A v - λ v|| / |λ_1| among the d pairs returned. */
  readonly residual: number;
}

/**
 * The d largest eigenpairs of the symmetric n x n `matrix` by subspace iteration with Rayleigh-Ritz:
 * Q ← orth(A Q), with the Ritz pairs of Qᵀ A Q checked each step. For positive semi-definite matrices
 * (covariances), large n and small d. Returns the best pairs found if `maxIterations` (default 2000) runs out.
 */
export function topEigen(
  matrix: Float64Array,
  n: number,
  d: number,
  options: TopEigenOptions = {},
): TopEigen {
  if (matrix.length !== n * n) throw new RangeError(`Expected ${n * n} entries but got ${matrix.length}`);
  if (d < 1 || d > n) throw new RangeError(`Expected 1 to ${n} eigenpairs but got ${d}`);
  const p = Math.min(n, d + (options.oversample ?? 16));
  const tolerance = options.tolerance ?? 1e-7;
  const maxIterations = options.maxIterations ?? 2000;
  const rng = createRng(options.seed ?? 1);
  let q = orthonormalise(
    Float64Array.from({ length: p * n }, () => rng() - 0.5),
    n,
    p,
  );
  let last: TopEigen | undefined;
  for (let it = 1; it <= maxIterations; it++) {
    const z = multiplyColumns(matrix, n, q, p);
    const ritz = jacobiEigen(projectBasis(q, z, n, p), p);
    const basis = combineColumns(q, ritz.vectors, n, p);
    const image = combineColumns(z, ritz.vectors, n, p);
    const residual = maxResidual(basis, image, ritz.values, n, d);
    last = { ...ritzPairs(basis, ritz.values, n, d), iterations: it, residual };
    if (residual <= tolerance) return last;
    q = orthonormalise(image, n, p);
  }
  if (!last) throw new RangeError('topEigen needs at least one iteration');
  return last;
}

/** Z = A Q for column-major Q (p columns of length n). */
function multiplyColumns(a: Float64Array, n: number, q: Float64Array, p: number): Float64Array {
  const z = new Float64Array(n * p);
  for (let c = 0; c < p; c++) {
    const col = q.subarray(c * n, (c + 1) * n);
    for (let r = 0; r < n; r++) {
      let sum = 0;
      const row = r * n;
      for (let j = 0; j < n; j++) sum += (a[row + j] ?? 0) * (col[j] ?? 0);
      z[c * n + r] = sum;
    }
  }
  return z;
}

/** B = Qᵀ Z (p x p, row-major), symmetrised. */
function projectBasis(q: Float64Array, z: Float64Array, n: number, p: number): Float64Array {
  const b = new Float64Array(p * p);
  for (let i = 0; i < p; i++)
    for (let j = i; j < p; j++) {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += (q[i * n + r] ?? 0) * (z[j * n + r] ?? 0);
      b[i * p + j] = sum;
      b[j * p + i] = sum;
    }
  return b;
}

/** Columns combined by the rows of `w` (p x p): column i of the result is Σ_j w[i][j] · column j. */
function combineColumns(cols: Float64Array, w: Float64Array, n: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < p; i++)
    for (let j = 0; j < p; j++) {
      const f = w[i * p + j] ?? 0;
      if (f === 0) continue;
      for (let r = 0; r < n; r++) out[i * n + r] = (out[i * n + r] ?? 0) + f * (cols[j * n + r] ?? 0);
    }
  return out;
}

function maxResidual(
  basis: Float64Array,
  image: Float64Array,
  values: Float64Array,
  n: number,
  d: number,
): number {
  const scale = Math.max(Math.abs(values[0] ?? 0), Number.MIN_VALUE);
  let worst = 0;
  for (let i = 0; i < d; i++) {
    let sum = 0;
    for (let r = 0; r < n; r++)
      sum += ((image[i * n + r] ?? 0) - (values[i] ?? 0) * (basis[i * n + r] ?? 0)) ** 2;
    worst = Math.max(worst, Math.sqrt(sum) / scale);
  }
  return worst;
}

function ritzPairs(basis: Float64Array, values: Float64Array, n: number, d: number): Eigen {
  return sortEigen(values.slice(0, d), basis.slice(0, d * n), n, d);
}

/** Removes from column i its components along columns 0..i-1 (twice, for round-off), and returns its norm. */
function orthogonalise(q: Float64Array, n: number, i: number): number {
  const col = q.subarray(i * n, (i + 1) * n);
  for (let pass = 0; pass < 2; pass++)
    for (let j = 0; j < i; j++) {
      const prev = q.subarray(j * n, (j + 1) * n);
      let dot = 0;
      for (let r = 0; r < n; r++) dot += (col[r] ?? 0) * (prev[r] ?? 0);
      for (let r = 0; r < n; r++) col[r] = (col[r] ?? 0) - dot * (prev[r] ?? 0);
    }
  return Math.sqrt(col.reduce((s, x) => s + x * x, 0));
}

/** Modified Gram-Schmidt on p column-major columns of length n; a dependent column is replaced by unit axes. */
function orthonormalise(cols: Float64Array, n: number, p: number): Float64Array {
  const q = Float64Array.from(cols);
  for (let i = 0; i < p; i++) {
    const col = q.subarray(i * n, (i + 1) * n);
    // Scaled to unit length first, so "dependent" means relative to the column's own size.
    const size = Math.sqrt(col.reduce((s, x) => s + x * x, 0));
    for (let r = 0; r < n && size > 0; r++) col[r] = (col[r] ?? 0) / size;
    let norm = size > 0 ? orthogonalise(q, n, i) : 0;
    for (let axis = 0; norm < 1e-10 && axis < n; axis++) {
      col.fill(0);
      col[axis] = 1;
      norm = orthogonalise(q, n, i);
    }
    for (let r = 0; r < n; r++) col[r] = (col[r] ?? 0) / norm;
  }
  return q;
}

/**
 * f(M) = Σ f(λ_i) v_i v_iᵀ for a symmetric M decomposed by `jacobiEigen`, row-major n x n: for example
 * its inverse square root (whitening) with f = 1 / √λ.
 */
export function matrixFunction(eigen: Eigen, f: (value: number) => number): Float64Array {
  const count = eigen.values.length;
  const n = count === 0 ? 0 : eigen.vectors.length / count;
  const out = new Float64Array(n * n);
  for (let k = 0; k < count; k++) {
    const fk = f(eigen.values[k] ?? 0);
    const v = eigen.vectors.subarray(k * n, (k + 1) * n);
    for (let i = 0; i < n; i++) {
      const a = fk * (v[i] ?? 0);
      for (let j = 0; j < n; j++) out[i * n + j] = (out[i * n + j] ?? 0) + a * (v[j] ?? 0);
    }
  }
  return out;
}
