/**
 * Conv2DBackpropInput for wasm on XNNPACK's Conv2D. The stock kernel is a naive loop (~4 GFLOP/s against
 * ~40 for Conv2D here), and it is both conv2d's input gradient and conv2dTranspose's forward pass.
 *
 * Sub-pixel decomposition: an input row u = ih + top with u = q*s + r only receives filter taps
 * fh = r, r + s, r + 2s, ..., from dy rows q, q - 1, .... So for every residue pair (rh, rw) the rows
 * and columns of dx with those residues are a stride-1 convolution of dy with the flipped sub-filter of
 * those taps (input and output channels swapped). Stride 1 is the single residue (0, 0) and needs no
 * scatter; stride s runs s*s small convolutions and scatters them into dx. No multiply is wasted, unlike
 * convolving a zero-dilated dy.
 */
import type * as tf from '@tensorflow/tfjs';
import { type ConvBackpropAttrs, convGeometry, crop4d, explicitPad } from './conv-util.js';
import { assertFloat32, heapF32, type KernelArgs, runStock, type WasmBackend } from './wasm-backend.js';

interface BackpropInputAttrs extends ConvBackpropAttrs {
  inputShape: [number, number, number, number];
}

/** How one residue class of one spatial dimension maps onto dy and dx. */
interface Residue {
  /** Filter taps r, r + s, ...; empty when the filter is narrower than the stride. */
  taps: number[];
  /** First dy-space index q of this class and how many dx rows/columns it covers. */
  qMin: number;
  count: number;
  /** Padding of dy before and after for the stride-1 convolution; may be negative (crop). */
  before: number;
  after: number;
}

function residues(stride: number, filter: number, pad: number, inSize: number, outSize: number): Residue[] {
  const classes: Residue[] = [];
  for (let r = 0; r < stride; r++) {
    const taps: number[] = [];
    for (let f = r; f < filter; f += stride) taps.push(f);
    const qMin = Math.ceil((pad - r) / stride);
    const qMax = Math.floor((pad + inSize - 1 - r) / stride);
    classes.push({
      taps,
      qMin,
      count: qMax - qMin + 1,
      before: taps.length - 1 - qMin,
      after: qMax - (outSize - 1),
    });
  }
  return classes;
}

/** The sub-filter [th, tw, co, ci] of taps `rows` x `cols`, flipped, from a [fh, fw, ci, co] filter. */
function subFilter(
  backend: WasmBackend,
  filter: tf.TensorInfo,
  rows: number[],
  cols: number[],
): tf.TensorInfo {
  const [, fw, ci, co] = filter.shape as [number, number, number, number];
  const out = backend.makeOutput([rows.length, cols.length, co, ci], 'float32');
  const src = heapF32(backend, filter);
  const dst = heapF32(backend, out);
  let o = 0;
  for (let i = rows.length - 1; i >= 0; i--) {
    for (let j = cols.length - 1; j >= 0; j--) {
      const base = ((rows[i] ?? 0) * fw + (cols[j] ?? 0)) * ci * co;
      for (let c = 0; c < co; c++) {
        for (let k = 0; k < ci; k++) dst[o++] = src[base + k * co + c] ?? 0;
      }
    }
  }
  return out;
}

/** dy cropped where a residue's padding is negative, so that XNNPACK only sees padding >= 0. */
function convolveResidue(
  backend: WasmBackend,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  rh: Residue,
  rw: Residue,
): tf.TensorInfo {
  const [, oh, ow] = dy.shape as [number, number, number, number];
  const cropTop = Math.max(-rh.before, 0);
  const cropLeft = Math.max(-rw.before, 0);
  const cropBottom = Math.max(-rh.after, 0);
  const cropRight = Math.max(-rw.after, 0);
  const needsCrop = cropTop + cropLeft + cropBottom + cropRight > 0;
  const input = needsCrop
    ? crop4d(backend, dy, cropTop, cropLeft, oh - cropTop - cropBottom, ow - cropLeft - cropRight)
    : dy;
  const sub = subFilter(backend, filter, rh.taps, rw.taps);
  const pad = explicitPad(
    rh.before + cropTop,
    rh.after + cropBottom,
    rw.before + cropLeft,
    rw.after + cropRight,
  );
  const out = runStock(
    'Conv2D',
    backend,
    { x: input, filter: sub },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [1, 1] },
  );
  backend.disposeData(sub.dataId);
  if (needsCrop) backend.disposeData(input.dataId);
  return out;
}

/** Writes a residue's [n, count_h, count_w, c] result into dx at rows q*s + r - top. */
function scatter(
  backend: WasmBackend,
  part: tf.TensorInfo,
  dx: tf.TensorInfo,
  pos: { rh: number; rw: number; qh: number; qw: number; sh: number; sw: number; top: number; left: number },
): void {
  const [n, ph, pw, c] = part.shape as [number, number, number, number];
  const [, h, w] = dx.shape as [number, number, number, number];
  const src = heapF32(backend, part);
  const dst = heapF32(backend, dx);
  let s = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < ph; i++) {
      const row = (pos.qh + i) * pos.sh + pos.rh - pos.top;
      for (let j = 0; j < pw; j++) {
        const col = (pos.qw + j) * pos.sw + pos.rw - pos.left;
        let d = ((b * h + row) * w + col) * c;
        for (let k = 0; k < c; k++) dst[d++] = src[s++] ?? 0;
      }
    }
  }
}

function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const attrs = args.attrs as unknown as BackpropInputAttrs;
  if (attrs.dataFormat === 'NCHW') return runStock('Conv2DBackpropInput', backend, args.inputs, args.attrs);
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  assertFloat32('Conv2DBackpropInput', dy);
  assertFloat32('Conv2DBackpropInput', filter);
  const info = convGeometry('Conv2DBackpropInput', attrs.inputShape, filter.shape, attrs);
  const { top, left } = info.padInfo;
  const rows = residues(info.strideHeight, info.filterHeight, top, info.inHeight, info.outHeight);
  const cols = residues(info.strideWidth, info.filterWidth, left, info.inWidth, info.outWidth);
  const [onlyRow] = rows;
  const [onlyCol] = cols;
  if (rows.length === 1 && cols.length === 1 && onlyRow && onlyCol) {
    const out = convolveResidue(backend, dy, filter, onlyRow, onlyCol);
    out.shape = info.inShape;
    return out;
  }
  const dx = backend.makeOutput(info.inShape, 'float32');
  const someEmpty = [...rows, ...cols].some((r) => r.taps.length === 0 && r.count > 0);
  if (someEmpty) heapF32(backend, dx).fill(0);
  rows.forEach((rh, ih) => {
    cols.forEach((rw, iw) => {
      if (rh.count <= 0 || rw.count <= 0 || rh.taps.length === 0 || rw.taps.length === 0) return;
      const part = convolveResidue(backend, dy, filter, rh, rw);
      const pos = {
        rh: ih,
        rw: iw,
        qh: rh.qMin,
        qw: rw.qMin,
        sh: info.strideHeight,
        sw: info.strideWidth,
        top,
        left,
      };
      scatter(backend, part, dx, pos);
      backend.disposeData(part.dataId);
    });
  });
  return dx;
}

/** Conv2DBackpropInput (also conv2dTranspose's forward) on XNNPACK convolutions, NHWC, any stride/padding. */
export const conv2DBackpropInputConfig = {
  kernelName: 'Conv2DBackpropInput',
  kernelFunc: conv2DBackpropInput,
} as const;
