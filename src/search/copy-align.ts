/**
 * Aligning two grey images (side x side floats, row-major), pure: the pose (a zoom and a shift per axis)
 * under which one matches the other best, and Pearson's correlation there. The search starts from the
 * best of a few given poses at half size, then refines by Levenberg-Marquardt on the squared residual
 * a - (gain x b(pose) + offset) (so brightness and contrast drop out), first at half size, then at full.
 */

/**
 * A zoom and a shift, in pixels of the full-size image, about the centre: output pixel (x, y) reads the
 * image at centre + (x + 0.5 - centre) x zoom + shift. A zoom below 1 enlarges the picture.
 */
export interface Pose {
  readonly zoomX: number;
  readonly zoomY: number;
  readonly dx: number;
  readonly dy: number;
}

/** The identity pose. */
export const IDENTITY_POSE: Pose = Object.freeze({ zoomX: 1, zoomY: 1, dx: 0, dy: 0 });

/** Bounds of the alignment: zoom 1 +- MAX_ZOOM_CHANGE per axis, shifts of at most MAX_SHIFT_PX. */
export const MAX_ZOOM_CHANGE = 0.08;
export const MAX_SHIFT_PX = 2.5;

/** Levenberg-Marquardt steps at half size, then at full size. */
const HALF_STEPS = 4;
const FULL_STEPS = 1;

/** Per output column (or row): the source pixel at or before the sample, the next one, the weight of the next. */
interface AxisMap {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
  readonly w: Float32Array;
}

/** Where each output column (row) of a side-px image samples under `zoom` and `shift` (px of the image). */
function axisMap(side: number, zoom: number, shift: number): AxisMap {
  const lo = new Int32Array(side);
  const hi = new Int32Array(side);
  const w = new Float32Array(side);
  const centre = side / 2;
  const last = side - 1;
  for (let x = 0; x < side; x++) {
    const at = centre + (x + 0.5 - centre) * zoom + shift - 0.5;
    const base = Math.floor(at);
    lo[x] = Math.min(last, Math.max(0, base));
    hi[x] = Math.min(last, Math.max(0, base + 1));
    w[x] = at - base;
  }
  return { lo, hi, w };
}

/** `img` (side x side) resampled under `pose` (bilinear, edges repeated); `shiftScale` px of img per pose px. */
export function resample(
  img: Float32Array,
  side: number,
  pose: Pose,
  out = new Float32Array(side * side),
  shiftScale = 1,
): Float32Array {
  const mx = axisMap(side, pose.zoomX, pose.dx * shiftScale);
  const my = axisMap(side, pose.zoomY, pose.dy * shiftScale);
  for (let y = 0; y < side; y++) {
    const top = (my.lo[y] ?? 0) * side;
    const bottom = (my.hi[y] ?? 0) * side;
    const wy = my.w[y] ?? 0;
    for (let x = 0; x < side; x++) {
      const l = mx.lo[x] ?? 0;
      const r = mx.hi[x] ?? 0;
      const wx = mx.w[x] ?? 0;
      const upper = (img[top + l] ?? 0) + wx * ((img[top + r] ?? 0) - (img[top + l] ?? 0));
      const lower = (img[bottom + l] ?? 0) + wx * ((img[bottom + r] ?? 0) - (img[bottom + l] ?? 0));
      out[y * side + x] = upper + wy * (lower - upper);
    }
  }
  return out;
}

/**
 * Pearson's correlation of `a` and `b` (side x side) over the pixels at least `margin` px from every
 * edge, in [-1, 1]: brightness and contrast drop out. 0 when either is flat there.
 */
export function correlation(a: Float32Array, b: Float32Array, side: number, margin = 0): number {
  let sa = 0;
  let sb = 0;
  let saa = 0;
  let sbb = 0;
  let sab = 0;
  let n = 0;
  for (let y = margin; y < side - margin; y++)
    for (let i = y * side + margin, end = y * side + side - margin; i < end; i++) {
      const x = a[i] ?? 0;
      const z = b[i] ?? 0;
      sa += x;
      sb += z;
      saa += x * x;
      sbb += z * z;
      sab += x * z;
      n++;
    }
  if (n === 0) return 0;
  const varA = saa - (sa * sa) / n;
  const varB = sbb - (sb * sb) / n;
  if (varA <= 1e-12 || varB <= 1e-12) return 0;
  return (sab - (sa * sb) / n) / Math.sqrt(varA * varB);
}

/** Central differences along x and y (one-sided at the edges). */
function gradients(img: Float32Array, side: number): [Float32Array, Float32Array] {
  const gx = new Float32Array(side * side);
  const gy = new Float32Array(side * side);
  const last = side - 1;
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const l = Math.max(0, x - 1);
      const r = Math.min(last, x + 1);
      const u = Math.max(0, y - 1);
      const d = Math.min(last, y + 1);
      gx[y * side + x] = ((img[y * side + r] ?? 0) - (img[y * side + l] ?? 0)) / Math.max(1, r - l);
      gy[y * side + x] = ((img[d * side + x] ?? 0) - (img[u * side + x] ?? 0)) / Math.max(1, d - u);
    }
  return [gx, gy];
}

/** One resolution of the problem: `b` (with its gradients) is posed to match `a` inside the margin. */
interface Level {
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly gx: Float32Array;
  readonly gy: Float32Array;
  readonly side: number;
  readonly margin: number;
  /** Pixels of this level per pose pixel. */
  readonly shiftScale: number;
}

/** Parameters: zoomX, zoomY, dx, dy, gain, offset. */
const PARAMS = 6;

/**
 * The squared residual of `a - (gain x b(pose) + offset)` at `theta`, and (into `h`, `g`) the
 * Gauss-Newton normal equations there: h = J'J, g = J'r, with J the residual's derivatives (sign
 * dropped) by zoomX, zoomY, dx, dy, gain and offset.
 */
function linearise(level: Level, theta: Float64Array, h: Float64Array, g: Float64Array): number {
  const { a, b, gx, gy, side, margin, shiftScale } = level;
  const zx = theta[0] ?? 1;
  const zy = theta[1] ?? 1;
  const dx = (theta[2] ?? 0) * shiftScale;
  const dy = (theta[3] ?? 0) * shiftScale;
  const gain = theta[4] ?? 1;
  const offset = theta[5] ?? 0;
  const centre = side / 2;
  const last = side - 1;
  // The upper triangle of J'J, row by row, and J'r.
  let h00 = 0,
    h01 = 0,
    h02 = 0,
    h03 = 0,
    h04 = 0,
    h05 = 0;
  let h11 = 0,
    h12 = 0,
    h13 = 0,
    h14 = 0,
    h15 = 0;
  let h22 = 0,
    h23 = 0,
    h24 = 0,
    h25 = 0;
  let h33 = 0,
    h34 = 0,
    h35 = 0;
  let h44 = 0,
    h45 = 0,
    h55 = 0;
  let g0 = 0,
    g1 = 0,
    g2 = 0,
    g3 = 0,
    g4 = 0,
    g5 = 0;
  let cost = 0;
  for (let y = margin; y < side - margin; y++) {
    const v = y + 0.5 - centre;
    const sy = centre + v * zy + dy - 0.5;
    const fy = sy - Math.floor(sy);
    const y0 = Math.min(last, Math.max(0, Math.floor(sy))) * side;
    const y1 = Math.min(last, Math.max(0, Math.floor(sy) + 1)) * side;
    for (let x = margin; x < side - margin; x++) {
      const u = x + 0.5 - centre;
      const sx = centre + u * zx + dx - 0.5;
      const fx = sx - Math.floor(sx);
      const x0 = Math.min(last, Math.max(0, Math.floor(sx)));
      const x1 = Math.min(last, Math.max(0, Math.floor(sx) + 1));
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const i00 = y0 + x0;
      const i01 = y0 + x1;
      const i10 = y1 + x0;
      const i11 = y1 + x1;
      const bw = w00 * (b[i00] ?? 0) + w01 * (b[i01] ?? 0) + w10 * (b[i10] ?? 0) + w11 * (b[i11] ?? 0);
      const ex =
        gain * (w00 * (gx[i00] ?? 0) + w01 * (gx[i01] ?? 0) + w10 * (gx[i10] ?? 0) + w11 * (gx[i11] ?? 0));
      const ey =
        gain * (w00 * (gy[i00] ?? 0) + w01 * (gy[i01] ?? 0) + w10 * (gy[i10] ?? 0) + w11 * (gy[i11] ?? 0));
      const r = (a[y * side + x] ?? 0) - gain * bw - offset;
      cost += r * r;
      const j0 = ex * u;
      const j1 = ey * v;
      const j2 = ex * shiftScale;
      const j3 = ey * shiftScale;
      const j4 = bw;
      h00 += j0 * j0;
      h01 += j0 * j1;
      h02 += j0 * j2;
      h03 += j0 * j3;
      h04 += j0 * j4;
      h05 += j0;
      h11 += j1 * j1;
      h12 += j1 * j2;
      h13 += j1 * j3;
      h14 += j1 * j4;
      h15 += j1;
      h22 += j2 * j2;
      h23 += j2 * j3;
      h24 += j2 * j4;
      h25 += j2;
      h33 += j3 * j3;
      h34 += j3 * j4;
      h35 += j3;
      h44 += j4 * j4;
      h45 += j4;
      h55 += 1;
      g0 += j0 * r;
      g1 += j1 * r;
      g2 += j2 * r;
      g3 += j3 * r;
      g4 += j4 * r;
      g5 += r;
    }
  }
  const upper = [
    [h00, h01, h02, h03, h04, h05],
    [h11, h12, h13, h14, h15],
    [h22, h23, h24, h25],
    [h33, h34, h35],
    [h44, h45],
    [h55],
  ];
  for (const [p, row] of upper.entries())
    for (const [k, value] of row.entries()) {
      h[p * PARAMS + p + k] = value;
      h[(p + k) * PARAMS + p] = value;
    }
  g.set([g0, g1, g2, g3, g4, g5]);
  return cost;
}

/** Solves the PARAMS x PARAMS system `h x = g` in place (Gaussian elimination, partial pivoting); false when singular. */
function solveInPlace(h: Float64Array, g: Float64Array): boolean {
  const n = PARAMS;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(h[r * n + c] ?? 0) > Math.abs(h[p * n + c] ?? 0)) p = r;
    const pivot = h[p * n + c] ?? 0;
    if (Math.abs(pivot) < 1e-12) return false;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = h[c * n + k] ?? 0;
        h[c * n + k] = h[p * n + k] ?? 0;
        h[p * n + k] = t;
      }
      const t = g[c] ?? 0;
      g[c] = g[p] ?? 0;
      g[p] = t;
    }
    for (let r = c + 1; r < n; r++) {
      const f = (h[r * n + c] ?? 0) / pivot;
      for (let k = c; k < n; k++) h[r * n + k] = (h[r * n + k] ?? 0) - f * (h[c * n + k] ?? 0);
      g[r] = (g[r] ?? 0) - f * (g[c] ?? 0);
    }
  }
  for (let r = n - 1; r >= 0; r--) {
    let s = g[r] ?? 0;
    for (let k = r + 1; k < n; k++) s -= (h[r * n + k] ?? 0) * (g[k] ?? 0);
    g[r] = s / (h[r * n + r] ?? 1);
  }
  return true;
}

/** The least-squares gain and offset of `a ~ gain x b(pose) + offset` inside the margin. */
function fitGain(level: Level, pose: Pose): [number, number] {
  const { a, b, side, margin, shiftScale } = level;
  const bw = resample(b, side, pose, undefined, shiftScale);
  let sa = 0;
  let sb = 0;
  let sbb = 0;
  let sab = 0;
  let n = 0;
  for (let y = margin; y < side - margin; y++)
    for (let x = margin; x < side - margin; x++) {
      const va = a[y * side + x] ?? 0;
      const vb = bw[y * side + x] ?? 0;
      sa += va;
      sb += vb;
      sbb += vb * vb;
      sab += va * vb;
      n++;
    }
  const varB = sbb - (sb * sb) / Math.max(1, n);
  const gain = varB > 1e-12 ? (sab - (sa * sb) / n) / varB : 1;
  return [gain, (sa - gain * sb) / Math.max(1, n)];
}

function clampTheta(theta: Float64Array): void {
  for (const i of [0, 1])
    theta[i] = Math.min(1 + MAX_ZOOM_CHANGE, Math.max(1 - MAX_ZOOM_CHANGE, theta[i] ?? 1));
  for (const i of [2, 3]) theta[i] = Math.min(MAX_SHIFT_PX, Math.max(-MAX_SHIFT_PX, theta[i] ?? 0));
}

/** `pose` refined by up to `steps` Levenberg-Marquardt steps at `level` (a step that does not lower the residual is not taken). */
function refine(level: Level, pose: Pose, steps: number): Pose {
  let theta = Float64Array.from([pose.zoomX, pose.zoomY, pose.dx, pose.dy, ...fitGain(level, pose)]);
  let h = new Float64Array(PARAMS * PARAMS);
  let g = new Float64Array(PARAMS);
  let cost = linearise(level, theta, h, g);
  let damping = 1e-3;
  const trialH = new Float64Array(PARAMS * PARAMS);
  const trialG = new Float64Array(PARAMS);
  const system = new Float64Array(PARAMS * PARAMS);
  const delta = new Float64Array(PARAMS);
  for (let s = 0; s < steps; s++) {
    system.set(h);
    for (let p = 0; p < PARAMS; p++) system[p * PARAMS + p] = (h[p * PARAMS + p] ?? 0) * (1 + damping);
    delta.set(g);
    if (!solveInPlace(system, delta)) break;
    const next = theta.map((v, i) => v + (delta[i] ?? 0));
    clampTheta(next);
    const nextCost = linearise(level, next, trialH, trialG);
    if (nextCost < cost) {
      theta = next;
      cost = nextCost;
      [h, g] = [Float64Array.from(trialH), Float64Array.from(trialG)];
      damping = Math.max(1e-6, damping / 10);
    } else damping *= 10;
  }
  return { zoomX: theta[0] ?? 1, zoomY: theta[1] ?? 1, dx: theta[2] ?? 0, dy: theta[3] ?? 0 };
}

/** An image at full size and at half size (the mean of each 2 x 2 block). */
export interface ImagePyramid {
  readonly side: number;
  readonly full: Float32Array;
  readonly half: Float32Array;
}

/** The pose of `b` that best matches `a`, and the correlation it reaches (inside `margin` px of the edges). */
export interface Alignment {
  readonly pose: Pose;
  readonly score: number;
}

/**
 * The pose of `b` that best matches `a` (zoom within 1 +- MAX_ZOOM_CHANGE, shift within MAX_SHIFT_PX):
 * the best of `starts` by correlation at half size, refined at half size and then at full size; with the
 * correlation at full size, leaving out `margin` px along the edges. Throws RangeError when the sides differ.
 */
export function align(a: ImagePyramid, b: ImagePyramid, starts: readonly Pose[], margin: number): Alignment {
  const { side } = a;
  if (b.side !== side) throw new RangeError(`Expected images of one side but got ${side} and ${b.side}`);
  const halfSide = side >> 1;
  const halfMargin = margin >> 1;
  const buffer = new Float32Array(side * side);
  let best: Alignment = { pose: IDENTITY_POSE, score: Number.NEGATIVE_INFINITY };
  for (const pose of starts) {
    const score = correlation(a.half, resample(b.half, halfSide, pose, buffer, 0.5), halfSide, halfMargin);
    if (score > best.score) best = { pose, score };
  }
  const [hx, hy] = gradients(b.half, halfSide);
  const half = { a: a.half, b: b.half, gx: hx, gy: hy, side: halfSide, margin: halfMargin, shiftScale: 0.5 };
  const [fx, fy] = gradients(b.full, side);
  const full = { a: a.full, b: b.full, gx: fx, gy: fy, side, margin, shiftScale: 1 };
  const refined = refine(full, refine(half, best.pose, HALF_STEPS), FULL_STEPS);
  const scoreAt = (pose: Pose) => correlation(a.full, resample(b.full, side, pose, buffer), side, margin);
  // Refining lowers the residual with a gain and an offset, which is raising the correlation; the start
  // is kept in case the last step landed off the discrete optimum.
  const [s0, s1] = [scoreAt(best.pose), scoreAt(refined)];
  return s1 >= s0 ? { pose: refined, score: s1 } : { pose: best.pose, score: s0 };
}
