/**
 * Conv2DBackpropFilter for wasm, which has none (tfjs issue 8474), so conv layers could not train there.
 *
 * dW[fh, fw, ci, co] = sum over n, oh, ow of x[n, oh*s + fh - top, ow*s + fw - left, ci] * dy[n, oh, ow, co]
 * is itself a convolution: input x as [ci, h, w, n] (channels become the batch, the batch the channels),
 * filter dy as [oh, ow, n, co], stride 1, dilation s, output [ci, fh, fw, co]. That runs on XNNPACK's
 * Conv2D at ~30 GFLOP/s here. When x or dy has only a few channels that convolution is mostly packing
 * a huge filter (XNNPACK packs filters at ~6-9 ns/float), so those go to chunked im2col products instead
 * (backprop-filter-im2col.ts). The wasm Conv3DBackpropFilterV2 at depth 1 is a naive loop: slower.
 */
import type * as tf from '@tensorflow/tfjs';
import { backpropFilterViaPatches, backpropFilterViaShiftedDy } from './backprop-filter-im2col.js';
import { type ConvBackpropAttrs, convGeometry, crop4d, explicitPad } from './conv-util.js';
import { assertFloat32, type KernelArgs, runStock, transpose, type WasmBackend } from './wasm-backend.js';

interface BackpropFilterAttrs extends ConvBackpropAttrs {
  filterShape: [number, number, number, number];
}

type Geometry = tf.backend_util.Conv2DInfo;

/** Below this many channels on one side, the im2col products beat the dilated-filter convolution. */
const FEW_CHANNELS = 8;

/** How the kernel computes dW for this geometry. */
export function backpropFilterStrategy(g: Geometry): 'conv' | 'patches' | 'shiftedDy' {
  if (Math.min(g.inChannels, g.outChannels) >= FEW_CHANNELS) return 'conv';
  return g.inChannels <= g.outChannels ? 'patches' : 'shiftedDy';
}

function viaConvolution(
  backend: WasmBackend,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: Geometry,
): tf.TensorInfo {
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = g;
  const { top, left } = g.padInfo;
  // Padding after x so that the dilated dy window yields exactly fh x fw outputs; negative means the
  // forward pass never read x's last rows/columns, and XNNPACK wants those cropped instead.
  const bottom = fh + (g.outHeight - 1) * sh - g.inHeight - top;
  const right = fw + (g.outWidth - 1) * sw - g.inWidth - left;
  const cropped =
    bottom < 0 || right < 0
      ? crop4d(backend, x, 0, 0, g.inHeight + Math.min(bottom, 0), g.inWidth + Math.min(right, 0))
      : undefined;
  const xT = transpose(backend, cropped ?? x, [3, 1, 2, 0]);
  if (cropped) backend.disposeData(cropped.dataId);
  const dyT = transpose(backend, dy, [1, 2, 0, 3]);
  const pad = explicitPad(top, Math.max(bottom, 0), left, Math.max(right, 0));
  const conv = runStock(
    'Conv2D',
    backend,
    { x: xT, filter: dyT },
    { strides: [1, 1], pad, dataFormat: 'NHWC', dilations: [sh, sw] },
  );
  backend.disposeData(xT.dataId);
  backend.disposeData(dyT.dataId);
  const dw = transpose(backend, conv, [1, 2, 0, 3]);
  backend.disposeData(conv.dataId);
  return dw;
}

function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  assertFloat32('Conv2DBackpropFilter', x);
  assertFloat32('Conv2DBackpropFilter', dy);
  const g = convGeometry('Conv2DBackpropFilter', x.shape, attrs.filterShape, attrs);
  const strategy = backpropFilterStrategy(g);
  if (strategy === 'patches') return backpropFilterViaPatches(backend, x, dy, g);
  if (strategy === 'shiftedDy') return backpropFilterViaShiftedDy(backend, x, dy, g);
  return viaConvolution(backend, x, dy, g);
}

/** The missing wasm Conv2DBackpropFilter (NHWC, any stride and padding, dilation 1). */
export const conv2DBackpropFilterConfig = {
  kernelName: 'Conv2DBackpropFilter',
  kernelFunc: conv2DBackpropFilter,
} as const;
