/**
 * Is one image an edited copy of another, or a natural neighbour? Pure arithmetic on model inputs
 * (side x side x channels bytes), no I/O. An edited copy (JPEG re-encoding, a resize, a small crop, a
 * brightness change) keeps its original's layout down to fine detail once the two are aligned; a natural
 * neighbour, however close in code space, differs somewhere. So this module gives:
 *
 * - a *signature* per image: its grey levels blurred by ALIGN_BLUR_PX (blur that JPEG noise and
 *   resampling do not survive, and the layout does);
 * - *probe vectors*: the signature at half size, zero mean, unit length (so L2^2 = 2 - 2 x correlation),
 *   of the image as it is and as the small crops and resizes that the decoder's resampling would show;
 *   a copy's vector lies next to one of its original's probes, so a nearest-neighbour search over the
 *   vectors finds candidate pairs that code space ranks too far down;
 * - a *copy score*: the normalised cross-correlation (brightness and contrast drop out) of two signatures
 *   after the zoom and shift that align them best (copy-align.ts), the sharper of the two blurred
 *   further when that matches better (a downscaled copy has lost detail its original has), leaving out a
 *   margin along the edges (a crop takes it away). 98.8% of the planted copies in 60,000 Fashion-MNIST
 *   items score 0.998 or more; see copy-pairs.ts for the decision.
 */

import {
  type Alignment,
  align as alignImages,
  correlation,
  IDENTITY_POSE,
  type ImagePyramid,
  type Pose,
  resample,
} from './copy-align.js';

/** Shape of a model input: `side` x `side` pixels of `channels` interleaved bytes. */
export interface CopyImageFormat {
  readonly side: number;
  readonly channels: number;
}

/** An image prepared for copy checks: its grey levels (0-1) blurred by ALIGN_BLUR_PX, row-major, and at half size. */
export interface CopySignature {
  readonly side: number;
  readonly soft: Float32Array;
  /** `soft` at half size (the mean of each 2 x 2 block): where alignment searches first. */
  readonly half: Float32Array;
}

/** Gaussian blur (sigma, px) of signatures: JPEG noise and resampling ripples do not survive it. */
export const ALIGN_BLUR_PX = 1;

/**
 * Pixels this close to an edge are left out of comparisons: a crop takes them away from one image, and
 * resampling repeats the edge into them.
 */
export const COMPARE_MARGIN_PX = 2;

/** Extra blurs (sigma, px) tried on the sharper image once aligned: a downscaled copy is blurrier. */
export const EXTRA_BLURS_PX: readonly number[] = Object.freeze([0.6, 1, 1.4]);

/**
 * The zoom of the crop probes: one pixel off a side of 28 scaled back to 28, the smallest crop a 28 px
 * model input can show (a crop of at most 5% takes at most 1.4 px of it; 32 px inputs are close: 31/32).
 */
export const PROBE_ZOOM = 27 / 28;

/**
 * Poses of the probes besides the image itself. The decoder (sharp, libvips) maps pixel corners rather
 * than centres when it scales: measured on planted copies, a resize through it moves the picture by
 * about half a pixel up and left, and a one-pixel crop scaled back shows the original zoomed by 27/28
 * and shifted by 0 or -1 px on each axis, depending on the sides cropped.
 */
export const PROBE_POSES: readonly Pose[] = Object.freeze([
  Object.freeze({ zoomX: 1, zoomY: 1, dx: -0.5, dy: -0.5 }),
  ...[
    [-1, -1],
    [0, -1],
    [-1, 0],
    [0, 0],
  ].map(([dx = 0, dy = 0]) => Object.freeze({ zoomX: PROBE_ZOOM, zoomY: PROBE_ZOOM, dx, dy })),
]);

/** The mean of the channels of each pixel, scaled to [0, 1]. Throws RangeError on a wrong size. */
export function greyOf(input: Uint8Array, format: CopyImageFormat): Float32Array {
  const { side, channels } = format;
  if (input.length !== side * side * channels)
    throw new RangeError(`Expected ${side * side * channels} bytes of model input but got ${input.length}`);
  const out = new Float32Array(side * side);
  const scale = 1 / (255 * channels);
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += input[i * channels + c] ?? 0;
    out[i] = sum * scale;
  }
  return out;
}

const kernels = new Map<number, Float32Array>();

function gaussianKernel(sigma: number): Float32Array {
  let kernel = kernels.get(sigma);
  if (!kernel) {
    const radius = Math.max(1, Math.ceil(3 * sigma));
    kernel = new Float32Array(2 * radius + 1);
    let sum = 0;
    for (let i = -radius; i <= radius; i++) {
      const w = Math.exp(-(i * i) / (2 * sigma * sigma));
      kernel[i + radius] = w;
      sum += w;
    }
    for (let i = 0; i < kernel.length; i++) kernel[i] = (kernel[i] ?? 0) / sum;
    kernels.set(sigma, kernel);
  }
  return kernel;
}

/** One pass of a 1-D kernel along rows (step 1) or columns (step side), edges repeated. */
function convolve(
  src: Float32Array,
  dst: Float32Array,
  side: number,
  kernel: Float32Array,
  alongRows: boolean,
) {
  const radius = (kernel.length - 1) >> 1;
  const last = side - 1;
  const [outer, inner] = alongRows ? [side, 1] : [1, side];
  for (let line = 0; line < side; line++) {
    const base = line * outer;
    for (let p = 0; p < side; p++) {
      let sum = 0;
      if (p >= radius && p + radius <= last)
        // Away from the edges: no clamping.
        for (let k = 0, at = base + (p - radius) * inner; k < kernel.length; k++, at += inner)
          sum += (kernel[k] ?? 0) * (src[at] ?? 0);
      else
        for (let k = -radius; k <= radius; k++) {
          const q = Math.max(0, Math.min(p + k, last));
          sum += (kernel[k + radius] ?? 0) * (src[base + q * inner] ?? 0);
        }
      dst[base + p * inner] = sum;
    }
  }
}

/** `img` (side x side) blurred with a Gaussian of `sigma` px, edges repeated; sigma 0 copies it. */
export function blur(img: Float32Array, side: number, sigma: number, out = new Float32Array(img.length)) {
  if (sigma <= 0) {
    out.set(img);
    return out;
  }
  const kernel = gaussianKernel(sigma);
  const tmp = new Float32Array(img.length);
  convolve(img, tmp, side, kernel, true);
  convolve(tmp, out, side, kernel, false);
  return out;
}

/** The signature of a model input. Throws RangeError when `input` is not of `format`'s size. */
export function copySignature(input: Uint8Array, format: CopyImageFormat): CopySignature {
  const soft = blur(greyOf(input, format), format.side, ALIGN_BLUR_PX);
  return { side: format.side, soft, half: halve(soft, format.side) };
}

/** The mean of each 2 x 2 block (a trailing odd row or column is dropped). */
function halve(img: Float32Array, side: number): Float32Array {
  const half = side >> 1;
  const out = new Float32Array(half * half);
  for (let y = 0; y < half; y++)
    for (let x = 0; x < half; x++) {
      const i = 2 * y * side + 2 * x;
      out[y * half + x] =
        ((img[i] ?? 0) + (img[i + 1] ?? 0) + (img[i + side] ?? 0) + (img[i + side + 1] ?? 0)) / 4;
    }
  return out;
}

/** Dimensions of a probe vector for inputs of `side` px. */
export function probeDims(side: number): number {
  return (side >> 1) * (side >> 1);
}

/** `img` at half size, zero mean, unit length. */
function probeOf(img: Float32Array, side: number): Float32Array {
  const out = halve(img, side);
  let mean = 0;
  for (const v of out) mean += v;
  mean /= out.length || 1;
  let ss = 0;
  for (let i = 0; i < out.length; i++) {
    const v = (out[i] ?? 0) - mean;
    out[i] = v;
    ss += v * v;
  }
  const k = ss > 1e-12 ? 1 / Math.sqrt(ss) : 0;
  for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) * k;
  return out;
}

/** The probe vector of the image as it is (probeDims(side) numbers). */
export function probeVector(signature: CopySignature): Float32Array {
  return probeOf(signature.soft, signature.side);
}

/** The probe vector of the image as it is, then one per PROBE_POSES (each of probeDims(side) numbers). */
export function probeVectors(signature: CopySignature): Float32Array[] {
  const { soft, side } = signature;
  const buffer = new Float32Array(side * side);
  return [
    probeOf(soft, side),
    ...PROBE_POSES.map((pose) => probeOf(resample(soft, side, pose, buffer), side)),
  ];
}

/** Where alignment starts from: the identity, the probe poses and their inverses. */
const START_POSES: readonly Pose[] = Object.freeze([
  IDENTITY_POSE,
  ...PROBE_POSES,
  ...PROBE_POSES.map((p) => ({
    zoomX: 1 / p.zoomX,
    zoomY: 1 / p.zoomY,
    dx: -p.dx / p.zoomX,
    dy: -p.dy / p.zoomY,
  })),
]);

/**
 * The pose of `b` that best matches `a` (copy-align.ts), by correlation of the signatures, from the
 * identity, the probe poses and their inverses. Throws RangeError when the sides differ.
 */
export function align(a: CopySignature, b: CopySignature): Alignment {
  return alignImages(pyramid(a), pyramid(b), START_POSES, COMPARE_MARGIN_PX);
}

function pyramid(s: CopySignature): ImagePyramid {
  return { side: s.side, full: s.soft, half: s.half };
}

/**
 * How sharp `img` is inside the margin: the energy of its differences between neighbouring pixels as a
 * share of its variance (a blurred image has less).
 */
function sharpness(img: Float32Array, side: number, margin: number): number {
  let mean = 0;
  let n = 0;
  for (let y = margin; y < side - margin; y++)
    for (let x = margin; x < side - margin; x++) {
      mean += img[y * side + x] ?? 0;
      n++;
    }
  mean /= Math.max(1, n);
  let variance = 0;
  let edges = 0;
  for (let y = margin; y < side - margin; y++)
    for (let x = margin; x < side - margin; x++) {
      const v = img[y * side + x] ?? 0;
      variance += (v - mean) * (v - mean);
      edges += ((img[y * side + x + 1] ?? v) - v) ** 2 + ((img[(y + 1) * side + x] ?? v) - v) ** 2;
    }
  return variance > 1e-12 ? edges / variance : 0;
}

/**
 * How well `b` passes for an edited copy of `a` (or `a` of `b`): the correlation of the aligned
 * signatures, or, when higher, with the sharper of the two blurred further by one of EXTRA_BLURS_PX (a
 * downscaled copy has lost the detail its original has). In [-1, 1]; 1 for the same picture at another
 * brightness. About symmetric (the alignment is searched one way).
 */
export function copyScore(a: CopySignature, b: CopySignature): number {
  const { side } = a;
  const { pose, score } = align(a, b);
  const aligned = resample(b.soft, side, pose);
  const aSharper = sharpness(a.soft, side, COMPARE_MARGIN_PX) > sharpness(aligned, side, COMPARE_MARGIN_PX);
  const [sharper, other] = aSharper ? [a.soft, aligned] : [aligned, a.soft];
  const blurred = new Float32Array(side * side);
  let best = score;
  for (const sigma of EXTRA_BLURS_PX)
    best = Math.max(best, correlation(blur(sharper, side, sigma, blurred), other, side, COMPARE_MARGIN_PX));
  return best;
}
