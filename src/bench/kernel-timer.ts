/**
 * Wall-clock timing of every kernel of a backend, by wrapping the registered kernel functions. Meant for
 * synchronous backends (wasm, cpu), where a kernel's work is done when its function returns; nested
 * kernels called directly (as aesearch's kernels call stock ones) count towards their caller only.
 */
import * as tf from '@tensorflow/tfjs';

/** Time spent in one kernel while timers were on. */
export interface KernelTiming {
  readonly kernelName: string;
  readonly totalMs: number;
  readonly calls: number;
}

/** Handle returned by `startKernelTimers`. */
export interface KernelTimers {
  /** Forgets what was measured so far (e.g. after a warm-up). */
  reset(): void;
  /** Timings so far, slowest first. */
  read(): KernelTiming[];
  /** Puts the original kernels back and returns the timings, slowest first. */
  stop(): KernelTiming[];
}

/**
 * Wraps every kernel registered for `backendName` with a timer until `stop()` is called. Register or
 * replace kernels before starting, not while timers run: `stop()` restores the configs it wrapped.
 */
export function startKernelTimers(backendName = 'wasm'): KernelTimers {
  const totals = new Map<string, { totalMs: number; calls: number }>();
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const inner = config.kernelFunc;
    const kernelFunc: tf.KernelFunc = (args) => {
      const start = performance.now();
      try {
        return inner(args);
      } finally {
        const entry = totals.get(config.kernelName) ?? { totalMs: 0, calls: 0 };
        entry.totalMs += performance.now() - start;
        entry.calls += 1;
        totals.set(config.kernelName, entry);
      }
    };
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc });
  }
  const read = (): KernelTiming[] =>
    [...totals.entries()]
      .map(([kernelName, t]) => ({ kernelName, totalMs: t.totalMs, calls: t.calls }))
      .sort((a, b) => b.totalMs - a.totalMs);
  return {
    reset: () => totals.clear(),
    read,
    stop: () => {
      for (const config of originals) {
        tf.unregisterKernel(config.kernelName, backendName);
        tf.registerKernel(config);
      }
      return read();
    },
  };
}
