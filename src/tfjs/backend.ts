/**
 * Owns the choice of tfjs backend: tensorflow (tfjs-node-gpu or tfjs-node) when it loads, else wasm, else cpu.
 * Registers aesearch's wasm kernel improvements once. Everything else calls `initBackend` and then uses
 * `@tensorflow/tfjs` as usual.
 */
import * as tf from '@tensorflow/tfjs';
import { createError } from '../errors.js';
import { registerWasmKernels } from './kernels/index.js';

export const BACKEND_CHOICES = ['auto', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
export type BackendName = Exclude<BackendChoice, 'auto'>;

/** What `initBackend` chose, and why. */
export interface BackendInfo {
  readonly name: BackendName;
  readonly requested: BackendChoice;
  /** One line for logs, e.g. "wasm (tfjs-node-gpu not installed; 3 aesearch kernels)". */
  readonly description: string;
  /** Kernels aesearch registered or replaced on this backend. */
  readonly customKernels: readonly string[];
}

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

async function tryTensorflow(): Promise<string | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    try {
      await import(pkg);
      if (await tf.setBackend('tensorflow')) return pkg;
    } catch {
      // not installed, or libtensorflow missing: try the next one
    }
  }
  return undefined;
}

async function tryWasm(): Promise<readonly string[] | undefined> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    const kernels = registerWasmKernels();
    if (await tf.setBackend('wasm')) return kernels;
  } catch {
    // wasm binary failed to load: fall back to cpu
  }
  return undefined;
}

async function select(requested: BackendChoice): Promise<BackendInfo> {
  const skipped: string[] = [];
  if (requested === 'auto' || requested === 'tensorflow') {
    const pkg = await tryTensorflow();
    if (pkg) return { name: 'tensorflow', requested, description: `tensorflow (${pkg})`, customKernels: [] };
    if (requested === 'tensorflow')
      throw createError('BACKEND_UNAVAILABLE', {
        name: 'tensorflow',
        fix: 'install @tensorflow/tfjs-node-gpu (CUDA) or @tensorflow/tfjs-node',
      });
    skipped.push('tfjs-node-gpu not loadable');
  }
  if (requested === 'auto' || requested === 'wasm') {
    const kernels = await tryWasm();
    if (kernels) {
      const note = [...skipped, `${kernels.length} aesearch kernels`].join('; ');
      return { name: 'wasm', requested, description: `wasm (${note})`, customKernels: kernels };
    }
    if (requested === 'wasm')
      throw createError('BACKEND_UNAVAILABLE', {
        name: 'wasm',
        fix: 'reinstall @tensorflow/tfjs-backend-wasm',
      });
    skipped.push('wasm failed to load');
  }
  await tf.setBackend('cpu');
  const note = skipped.length > 0 ? ` (${skipped.join('; ')})` : '';
  return { name: 'cpu', requested, description: `cpu${note}`, customKernels: [] };
}

/**
 * Selects and initialises the backend once per process (later calls return the first choice).
 * Throws BACKEND_UNAVAILABLE when a specific backend was requested and cannot load.
 */
export async function initBackend(requested: BackendChoice = 'auto'): Promise<BackendInfo> {
  if (current) return current;
  pending ??= select(requested).then(async (info) => {
    await tf.ready();
    current = info;
    return info;
  });
  return pending;
}

/** The backend chosen by `initBackend`; throws if it has not run yet. */
export function backendInfo(): BackendInfo {
  if (!current) throw new Error('initBackend() has not been called');
  return current;
}
