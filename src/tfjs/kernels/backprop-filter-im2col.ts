/**
 * Conv2DBackpropFilter as chunked im2col products, for convolutions with few input or output channels
 * (a grayscale input layer, a one-channel output layer), where the dilated-filter convolution spends its
 * time packing a huge filter.
 *
 * XNNPACK packs its right operand and reads its left one as is, so the left operand is built already
 * transposed (pixels innermost) and the right one is the side with few channels:
 * - "patches": cols[(fh, fw, ci), output pixel] gathered from x, times dy as [pixels, co];
 * - "shiftedDy": cols[(fh, fw, co), input pixel] gathered from dy, times x as [pixels, ci].
 * Pixels are the reduction; XNNPACK's product slows down ~2x once that passes a few thousand (no blocking
 * of the reduction), so the pixels go in chunks whose partial products are added up here.
 */
import type * as tf from '@tensorflow/tfjs';
import { heapF32, runStock, transpose, view, type WasmBackend } from './wasm-backend.js';

type Geometry = tf.backend_util.Conv2DInfo;

/** Pixels per partial product: large enough to amortise XNNPACK's setup, small enough to stay fast. */
const CHUNK_PIXELS = 1024;

/** Fills `out` with, for each pixel of a chunk, the flat source offset (before the channel) that one
 * filter tap reads, or -1 where it reads padding. */
type TapIndex = (tap: number, start: number, out: Int32Array) => void;

/** Pixel p of [n, rows, cols] order as (batch, row, col), decoded once per chunk with counters. */
function decodePixels(start: number, length: number, rows: number, cols: number): Int32Array[] {
  const batch = new Int32Array(length);
  const row = new Int32Array(length);
  const col = new Int32Array(length);
  let j = start % cols;
  let i = Math.floor(start / cols) % rows;
  let b = Math.floor(start / (cols * rows));
  for (let k = 0; k < length; k++) {
    batch[k] = b;
    row[k] = i;
    col[k] = j;
    if (++j === cols) {
      j = 0;
      if (++i === rows) {
        i = 0;
        b++;
      }
    }
  }
  return [batch, row, col];
}

/** Output pixel -> the x pixel that tap (fh, fw) reads, for the "patches" columns. */
function patchIndex(g: Geometry): TapIndex {
  const { inHeight: h, inWidth: w, inChannels: ci } = g;
  let decoded: { start: number; pixels: Int32Array[] } | undefined;
  return (tap, start, out) => {
    if (decoded?.start !== start)
      decoded = { start, pixels: decodePixels(start, out.length, g.outHeight, g.outWidth) };
    const [batch, oRow, oCol] = decoded.pixels as [Int32Array, Int32Array, Int32Array];
    const dh = Math.floor(tap / g.filterWidth) - g.padInfo.top;
    const dw = (tap % g.filterWidth) - g.padInfo.left;
    for (let k = 0; k < out.length; k++) {
      const row = (oRow[k] as number) * g.strideHeight + dh;
      const col = (oCol[k] as number) * g.strideWidth + dw;
      out[k] =
        row >= 0 && row < h && col >= 0 && col < w ? (((batch[k] as number) * h + row) * w + col) * ci : -1;
    }
  };
}

/** Input pixel -> the dy pixel whose tap (fh, fw) read it, for the "shiftedDy" columns. */
function shiftedDyIndex(g: Geometry): TapIndex {
  const { outHeight: oh, outWidth: ow, outChannels: co, strideHeight: sh, strideWidth: sw } = g;
  let decoded: { start: number; pixels: Int32Array[] } | undefined;
  return (tap, start, out) => {
    if (decoded?.start !== start)
      decoded = { start, pixels: decodePixels(start, out.length, g.inHeight, g.inWidth) };
    const [batch, iRow, iCol] = decoded.pixels as [Int32Array, Int32Array, Int32Array];
    const dh = g.padInfo.top - Math.floor(tap / g.filterWidth);
    const dw = g.padInfo.left - (tap % g.filterWidth);
    for (let k = 0; k < out.length; k++) {
      const t = (iRow[k] as number) + dh;
      const u = (iCol[k] as number) + dw;
      const row = t / sh;
      const col = u / sw;
      const ok = t >= 0 && u >= 0 && t % sh === 0 && u % sw === 0 && row < oh && col < ow;
      out[k] = ok ? (((batch[k] as number) * oh + row) * ow + col) * co : -1;
    }
  };
}

/** cols[(tap, c), k] = src[index(tap)[k] + c] or 0, as a new [taps * channels, length] tensor. */
function gatherColumns(
  backend: WasmBackend,
  src: tf.TensorInfo,
  channels: number,
  taps: number,
  index: TapIndex,
  start: number,
  length: number,
): tf.TensorInfo {
  const cols = backend.makeOutput([taps * channels, length], 'float32');
  const from = heapF32(backend, src);
  const to = heapF32(backend, cols);
  const at = new Int32Array(length);
  let d = 0;
  for (let tap = 0; tap < taps; tap++) {
    index(tap, start, at);
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < length; k++, d++) {
        const i = at[k] as number;
        to[d] = i >= 0 ? (from[i + c] as number) : 0;
      }
    }
  }
  return cols;
}

/** Rows [start, start + length) of `x` seen as [pixels, channels], copied into a tensor of our own. */
function rowBlock(backend: WasmBackend, x: tf.TensorInfo, channels: number, start: number, length: number) {
  const out = backend.makeOutput([length, channels], 'float32');
  heapF32(backend, out).set(heapF32(backend, x).subarray(start * channels, (start + length) * channels));
  return out;
}

/**
 * sum over pixel chunks of cols(chunk) @ rows(chunk): [taps * gathered channels, row channels].
 * The row block is always a private copy: XNNPACK caches packed right operands by tensor id, not shape.
 */
function chunkedProduct(
  backend: WasmBackend,
  gathered: { src: tf.TensorInfo; channels: number; index: TapIndex },
  rows: { src: tf.TensorInfo; channels: number },
  taps: number,
  pixels: number,
): Float32Array {
  const acc = new Float32Array(taps * gathered.channels * rows.channels);
  for (let start = 0; start < pixels; start += CHUNK_PIXELS) {
    const length = Math.min(CHUNK_PIXELS, pixels - start);
    const a = gatherColumns(backend, gathered.src, gathered.channels, taps, gathered.index, start, length);
    const b = rowBlock(backend, rows.src, rows.channels, start, length);
    const part = runStock('BatchMatMul', backend, { a, b }, { transposeA: false, transposeB: false });
    const values = heapF32(backend, part);
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) + (values[i] as number);
    for (const t of [a, b, part]) backend.disposeData(t.dataId);
  }
  return acc;
}

/** dW from patches of x times dy; best when x has few channels. */
export function backpropFilterViaPatches(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: Geometry,
): tf.TensorInfo {
  const taps = g.filterHeight * g.filterWidth;
  const gathered = { src: x, channels: g.inChannels, index: patchIndex(g) };
  const rows = { src: dy, channels: g.outChannels };
  const acc = chunkedProduct(backend, gathered, rows, taps, g.batchSize * g.outHeight * g.outWidth);
  const dw = backend.makeOutput([g.filterHeight, g.filterWidth, g.inChannels, g.outChannels], 'float32');
  heapF32(backend, dw).set(acc);
  return dw;
}

/** dW from shifted dy times x; best when dy has few channels. */
export function backpropFilterViaShiftedDy(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: Geometry,
): tf.TensorInfo {
  const taps = g.filterHeight * g.filterWidth;
  const gathered = { src: dy, channels: g.outChannels, index: shiftedDyIndex(g) };
  const rows = { src: x, channels: g.inChannels };
  const acc = chunkedProduct(backend, gathered, rows, taps, g.batchSize * g.inHeight * g.inWidth);
  const perTap = backend.makeOutput([taps, g.outChannels, g.inChannels], 'float32');
  heapF32(backend, perTap).set(acc);
  const dw = transpose(backend, view(perTap, [taps, g.outChannels, g.inChannels]), [0, 2, 1]);
  backend.disposeData(perTap.dataId);
  dw.shape = [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
  return dw;
}
