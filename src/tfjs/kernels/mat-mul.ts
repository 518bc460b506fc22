/**
 * BatchMatMul and _FusedMatMul for wasm that only ever run XNNPACK's plain product.
 *
 * The stock kernels send any transposed operand, and any batch larger than one, to a naive C++ loop
 * (measured here: ~3 GFLOP/s against ~39 GFLOP/s for XNNPACK's path). Dense layers' backprop multiplies
 * by transposed matrices, so stock training spent ~90% of its kernel time there. These kernels transpose
 * explicitly (wasm Transpose) and run the plain product, or compute the transposed product when that
 * moves less data; batched products become one XNNPACK product per batch.
 */
import * as tf from '@tensorflow/tfjs';
import {
  assertFloat32,
  heapF32,
  type KernelArgs,
  runStock,
  transpose,
  view,
  type WasmBackend,
} from './wasm-backend.js';

interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

interface Operand {
  /** Plain (un-transposed) rank-2 or rank-3 operand. */
  info: tf.TensorInfo;
  /** True when `info` is a temporary this kernel must dispose. */
  temporary: boolean;
}

function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function dim(shape: readonly number[], fromEnd: number): number {
  const value = shape[shape.length - fromEnd];
  if (value === undefined) throw new Error(`Expected a matrix of rank >= 2 but got shape [${shape}]`);
  return value;
}

/** `x` as a [batch, rows, cols] operand with the transposition applied, copying only when transposed. */
function plainOperand(backend: WasmBackend, x: tf.TensorInfo, transposed: boolean): Operand {
  const rows = dim(x.shape, 2);
  const cols = dim(x.shape, 1);
  const batch = sizeOf(x.shape.slice(0, -2));
  const x3 = view(x, [batch, rows, cols]);
  if (!transposed) return { info: x3, temporary: false };
  return { info: transpose(backend, x3, [0, 2, 1]), temporary: true };
}

function release(backend: WasmBackend, ...operands: Operand[]): void {
  for (const op of operands) if (op.temporary) backend.disposeData(op.info.dataId);
}

function outputShape(a: tf.TensorInfo, b: tf.TensorInfo, attrs: MatMulAttrs): number[] {
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const rows = attrs.transposeA ? dim(a.shape, 1) : dim(a.shape, 2);
  const cols = attrs.transposeB ? dim(b.shape, 2) : dim(b.shape, 1);
  return [...outer, rows, cols];
}

/** Copies `count` floats of `src` starting at `srcOffset` into a new tensor of `shape`. */
function copyBlock(
  backend: WasmBackend,
  src: tf.TensorInfo,
  srcOffset: number,
  shape: number[],
): tf.TensorInfo {
  const out = backend.makeOutput(shape, 'float32');
  const count = sizeOf(shape);
  heapF32(backend, out).set(heapF32(backend, src).subarray(srcOffset, srcOffset + count));
  return out;
}

/** Index into each operand's batch for every output batch index, following numpy broadcasting. */
function broadcastBatchIndices(aOuter: number[], bOuter: number[], outOuter: number[]): [number[], number[]] {
  const aIdx: number[] = [];
  const bIdx: number[] = [];
  const outStrides = tf.util.computeStrides(outOuter);
  for (let flat = 0; flat < sizeOf(outOuter); flat++) {
    const coords = outOuter.map((_, d) => Math.floor(flat / (outStrides[d] ?? 1)) % (outOuter[d] ?? 1));
    aIdx.push(broadcastFlatIndex(coords, aOuter));
    bIdx.push(broadcastFlatIndex(coords, bOuter));
  }
  return [aIdx, bIdx];
}

function broadcastFlatIndex(outCoords: number[], shape: number[]): number {
  const offset = outCoords.length - shape.length;
  let flat = 0;
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d] ?? 1;
    flat = flat * size + (size === 1 ? 0 : (outCoords[d + offset] ?? 0));
  }
  return flat;
}

/**
 * One XNNPACK product per output batch: each pair of matrices is copied out (cheap next to the product)
 * because XNNPACK reads whole tensors by id. Also gets broadcasting of outer dimensions right.
 */
function batchedProduct(
  backend: WasmBackend,
  a: Operand,
  b: Operand,
  aOuter: number[],
  bOuter: number[],
  outShape: number[],
): tf.TensorInfo {
  const [, m, k] = a.info.shape as [number, number, number];
  const n = dim(b.info.shape, 1);
  const outOuter = outShape.slice(0, -2);
  const [aIdx, bIdx] = broadcastBatchIndices(aOuter, bOuter, outOuter);
  const out = backend.makeOutput(outShape, 'float32');
  for (let i = 0; i < aIdx.length; i++) {
    const ai = copyBlock(backend, a.info, (aIdx[i] ?? 0) * m * k, [m, k]);
    const bi = copyBlock(backend, b.info, (bIdx[i] ?? 0) * k * n, [k, n]);
    const prod = runStock('BatchMatMul', backend, { a: ai, b: bi }, { transposeA: false, transposeB: false });
    heapF32(backend, out).set(heapF32(backend, prod), i * m * n);
    for (const t of [ai, bi, prod]) backend.disposeData(t.dataId);
  }
  return out;
}

/** Batches this small (m*k*n per product) stay on the stock loop: per-product setup would dominate. */
const MIN_BATCHED_PRODUCT_MACS = 20 * 20 * 20;

/** Rough costs here in ns per float: a wasm transpose (0.3-4 depending on shape), an XNNPACK packing. */
const TRANSPOSE_NS = 1;
const PACK_NS = 2;

/** Data movement before XNNPACK computes x @ y, x and y being [rows, cols] and flagged as transposed. */
function movementNs(xSize: number, xTransposed: boolean, ySize: number, yTransposed: boolean): number {
  return TRANSPOSE_NS * ((xTransposed ? xSize : 0) + (yTransposed ? ySize : 0)) + PACK_NS * ySize;
}

/**
 * One matrix product with transposes. XNNPACK packs its right operand, so when packing (and
 * transposing) the transposed left side is cheaper, it computes C^T = op(B)^T op(A)^T and transposes C^T.
 */
function matrixProduct(
  backend: WasmBackend,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: MatMulAttrs,
  outShape: number[],
) {
  const [m, n] = [dim(outShape, 2), dim(outShape, 1)];
  const [aSize, bSize] = [sizeOf(a.shape), sizeOf(b.shape)];
  const direct = movementNs(aSize, attrs.transposeA, bSize, attrs.transposeB);
  const swapped = movementNs(bSize, !attrs.transposeB, aSize, !attrs.transposeA) + TRANSPOSE_NS * m * n;
  const swap = swapped < direct;
  const pa = swap ? plainOperand(backend, b, !attrs.transposeB) : plainOperand(backend, a, attrs.transposeA);
  const pb = swap ? plainOperand(backend, a, !attrs.transposeA) : plainOperand(backend, b, attrs.transposeB);
  try {
    const plain = { transposeA: false, transposeB: false };
    const product = runStock('BatchMatMul', backend, { a: pa.info, b: pb.info }, plain);
    if (!swap) {
      product.shape = outShape;
      return product;
    }
    const out = transpose(backend, view(product, [n, m]), [1, 0]);
    backend.disposeData(product.dataId);
    out.shape = outShape;
    return out;
  } finally {
    release(backend, pa, pb);
  }
}

function batchMatMul(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const attrs = args.attrs as unknown as MatMulAttrs;
  assertFloat32('BatchMatMul', a);
  assertFloat32('BatchMatMul', b);
  const outShape = outputShape(a, b, attrs);
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const batched = sizeOf(aOuter) > 1 || sizeOf(bOuter) > 1;
  const k = attrs.transposeA ? dim(a.shape, 2) : dim(a.shape, 1);
  const tiny = dim(outShape, 2) * dim(outShape, 1) * k < MIN_BATCHED_PRODUCT_MACS;
  if ((!attrs.transposeA && !attrs.transposeB && !batched) || (batched && tiny)) {
    return runStock('BatchMatMul', backend, { a, b }, { ...attrs });
  }
  if (!batched) return matrixProduct(backend, a, b, attrs, outShape);
  const pa = plainOperand(backend, a, attrs.transposeA);
  const pb = plainOperand(backend, b, attrs.transposeB);
  try {
    return batchedProduct(backend, pa, pb, aOuter, bOuter, outShape);
  } finally {
    release(backend, pa, pb);
  }
}

function fusedMatMul(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as WasmBackend;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const attrs = args.attrs as unknown as MatMulAttrs & tf.NamedAttrMap;
  const batched = sizeOf(a.shape.slice(0, -2)) > 1 || sizeOf(b.shape.slice(0, -2)) > 1;
  if ((!attrs.transposeA && !attrs.transposeB) || batched) {
    return runStock('_FusedMatMul', backend, args.inputs, attrs);
  }
  const pa = plainOperand(backend, a, attrs.transposeA);
  const pb = plainOperand(backend, b, attrs.transposeB);
  try {
    const inputs = { ...args.inputs, a: pa.info, b: pb.info };
    return runStock('_FusedMatMul', backend, inputs, { ...attrs, transposeA: false, transposeB: false });
  } finally {
    release(backend, pa, pb);
  }
}

/** BatchMatMul that runs transposed and batched products through XNNPACK's plain product. */
export const batchMatMulConfig = { kernelName: 'BatchMatMul', kernelFunc: batchMatMul } as const;

/** _FusedMatMul (bias + activation) that transposes explicitly instead of using the naive loop. */
export const fusedMatMulConfig = { kernelName: '_FusedMatMul', kernelFunc: fusedMatMul } as const;
