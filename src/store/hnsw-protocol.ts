/** Messages between the main thread and an HNSW build worker. */
import type { HnswParams, Metric } from './vector-index.js';

/** Main thread -> worker. */
export type HnswBuildRequest =
  | { type: 'init'; dims: number; metric: Metric; params: HnswParams; maxElements: number }
  /** `vectors` is a transferred Float32Array buffer, `ids` an Int32Array buffer of the items' ids. */
  | { type: 'add'; ids: ArrayBuffer; vectors: ArrayBuffer }
  /** Write the index to `file` (a temporary path; the caller renames it) and fsync it. */
  | { type: 'save'; file: string };

/** Worker -> main thread. */
export type HnswBuildReply =
  | { type: 'progress'; added: number }
  | { type: 'done'; count: number; buildSeconds: number; writeSeconds: number }
  | { type: 'error'; message: string };
