/** The process's memory at a glance, for /api/health and the load and fuzz runs that watch it stay flat. */
import * as tf from '@tensorflow/tfjs';

/** Memory figures: resident set and V8 heap in bytes, and live tfjs tensors. */
export interface MemoryFigures {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  readonly tensors: number;
}

/** Measures now. */
export function memoryFigures(): MemoryFigures {
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed, tensors: tf.memory().numTensors };
}
