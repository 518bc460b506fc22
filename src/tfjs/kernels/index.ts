/**
 * aesearch's wasm kernels: replacements for slow stock kernels and the missing Conv2DBackpropFilter.
 * Gradients are registered per kernel name, independently of the backend, so they keep working.
 */
import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig } from './conv2d-backprop-filter.js';
import { conv2DBackpropInputConfig } from './conv2d-backprop-input.js';
import { batchMatMulConfig, fusedMatMulConfig } from './mat-mul.js';
import { maxPoolGradConfig } from './max-pool-grad.js';
import { captureStockKernels, type KernelArgs, STOCK_KERNEL_NAMES, stockKernel } from './wasm-backend.js';

interface Replacement {
  kernelName: string;
  kernelFunc: (args: KernelArgs) => tf.TensorInfo;
}

const REPLACEMENTS: readonly Replacement[] = [
  batchMatMulConfig,
  fusedMatMulConfig,
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  maxPoolGradConfig,
];

/** Names of every kernel `registerWasmKernels` registers. */
export const WASM_KERNEL_NAMES: readonly string[] = REPLACEMENTS.map((r) => r.kernelName);

function isStockName(name: string): name is (typeof STOCK_KERNEL_NAMES)[number] {
  return (STOCK_KERNEL_NAMES as readonly string[]).includes(name);
}

/**
 * Registers aesearch's wasm kernels (call after importing `@tensorflow/tfjs-backend-wasm`, before or after
 * `tf.setBackend('wasm')`). Returns the names of the kernels it registered or replaced; safe to call more
 * than once (later calls change nothing and return the same names). Returns [] when wasm is not loaded.
 */
export function registerWasmKernels(): string[] {
  if (tf.getKernel('Conv2D', 'wasm') === undefined) return [];
  captureStockKernels();
  for (const replacement of REPLACEMENTS) {
    const { kernelName } = replacement;
    const current = tf.getKernel(kernelName, 'wasm');
    if (current?.kernelFunc === replacement.kernelFunc) continue;
    if (current) tf.unregisterKernel(kernelName, 'wasm');
    // Our kernels call the stock ones, whose cwrap'd entry points are bound in their setup functions.
    const setupFunc = isStockName(kernelName) ? stockKernel(kernelName).setupFunc : undefined;
    const kernelFunc = replacement.kernelFunc as unknown as tf.KernelFunc;
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc, ...(setupFunc ? { setupFunc } : {}) });
  }
  return [...WASM_KERNEL_NAMES];
}

/**
 * Puts the stock wasm kernels back (removing kernels wasm lacks, like Conv2DBackpropFilter), for A/B
 * benchmarks and tests; `names` limits it to some of `WASM_KERNEL_NAMES`. Returns the names it restored.
 */
export function unregisterWasmKernels(names: readonly string[] = WASM_KERNEL_NAMES): string[] {
  const restored: string[] = [];
  for (const { kernelName, kernelFunc } of REPLACEMENTS) {
    if (!names.includes(kernelName)) continue;
    if (tf.getKernel(kernelName, 'wasm')?.kernelFunc !== (kernelFunc as unknown as tf.KernelFunc)) continue;
    tf.unregisterKernel(kernelName, 'wasm');
    if (isStockName(kernelName)) tf.registerKernel(stockKernel(kernelName));
    restored.push(kernelName);
  }
  return restored;
}
