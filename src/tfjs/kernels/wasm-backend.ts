/**
 * The slice of `@tensorflow/tfjs-backend-wasm` internals that aesearch's kernels use, typed, plus the stock
 * kernel functions they build on (captured before any replacement, so timers or replacements never nest).
 */
import * as tf from '@tensorflow/tfjs';

/** Opaque tensor data handle, as tfjs passes it around. */
export type DataId = object;

/** The parts of tfjs-backend-wasm's `BackendWasm` that the kernels touch. */
export interface WasmBackend {
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  disposeData(dataId: DataId, force?: boolean): boolean;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  numDataIds(): number;
}

/** Arguments every kernel function receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** Stock wasm kernels the replacements call into; captured by `captureStockKernels`. */
export const STOCK_KERNEL_NAMES = [
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2D',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'Transpose',
] as const;
export type StockKernelName = (typeof STOCK_KERNEL_NAMES)[number];

const stock = new Map<StockKernelName, tf.KernelConfig>();

/** Records the currently registered wasm configs of `STOCK_KERNEL_NAMES` once; later calls keep the first. */
export function captureStockKernels(): void {
  for (const name of STOCK_KERNEL_NAMES) {
    if (stock.has(name)) continue;
    const config = tf.getKernel(name, 'wasm');
    if (config) stock.set(name, config);
  }
}

/** The stock wasm config for `name`; throws if `captureStockKernels` has not seen it. */
export function stockKernel(name: StockKernelName): tf.KernelConfig {
  const config = stock.get(name);
  if (!config) throw new Error(`Expected the stock wasm kernel ${name} to be registered before aesearch's`);
  return config;
}

/** Runs a stock wasm kernel and returns its single output. */
export function runStock(
  name: StockKernelName,
  backend: WasmBackend,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const out = stockKernel(name).kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`Expected one output from wasm kernel ${name}`);
  return out;
}

/** A tensor info that reinterprets `x`'s data with another shape of the same size; never dispose it. */
export function view(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
  return { dataId: x.dataId, shape, dtype: x.dtype };
}

/** The float32 heap view of `x`; take it again after any allocation, which may grow (detach) the heap. */
export function heapF32(backend: WasmBackend, x: tf.TensorInfo): Float32Array {
  const data = backend.typedArrayFromHeap(x);
  if (!(data instanceof Float32Array)) throw new Error(`Expected a float32 tensor but got ${x.dtype}`);
  return data;
}

/** `x` transposed by `perm` into a new tensor info that the caller must dispose. */
export function transpose(backend: WasmBackend, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return runStock('Transpose', backend, { x }, { perm });
}

/** Throws unless `x` is float32: the replaced wasm kernels only ever supported float32. */
export function assertFloat32(kernel: string, x: tf.TensorInfo): void {
  if (x.dtype !== 'float32') throw new Error(`${kernel} on wasm expects float32 tensors but got ${x.dtype}`);
}
