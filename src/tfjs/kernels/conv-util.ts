/**
 * Helpers shared by the convolution-gradient kernels: NHWC geometry from tfjs attributes, and a spatial
 * crop done in JS on the wasm heap (only needed for unusual explicit paddings).
 */
import * as tf from '@tensorflow/tfjs';
import { heapF32, type WasmBackend } from './wasm-backend.js';

/** The attributes the Conv2DBackprop* kernels share. */
export interface ConvBackpropAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Conv2D geometry for an NHWC input of `inShape` and a filter of `filterShape` (dilation 1). */
export function convGeometry(
  kernel: string,
  inShape: number[],
  filterShape: number[],
  attrs: ConvBackpropAttrs,
): tf.backend_util.Conv2DInfo {
  if (attrs.dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports dataFormat 'NHWC' only but got '${attrs.dataFormat}'`);
  }
  return tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/** Explicit NHWC padding in the form tfjs' Conv2D accepts; every entry must be >= 0. */
export function explicitPad(
  top: number,
  bottom: number,
  left: number,
  right: number,
): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/**
 * Rows [top, top + height) and columns [left, left + width) of an NHWC tensor, copied into a new tensor
 * that the caller must dispose.
 */
export function crop4d(
  backend: WasmBackend,
  x: tf.TensorInfo,
  top: number,
  left: number,
  height: number,
  width: number,
): tf.TensorInfo {
  const [n, h, w, c] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([n, height, width, c], 'float32');
  const src = heapF32(backend, x);
  const dst = heapF32(backend, out);
  const run = width * c;
  let o = 0;
  for (let b = 0; b < n; b++) {
    for (let row = top; row < top + height; row++) {
      const start = ((b * h + row) * w + left) * c;
      dst.set(src.subarray(start, start + run), o);
      o += run;
    }
  }
  return out;
}
