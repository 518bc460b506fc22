/** Messages between the main thread and the exact-kNN worker (see knn-worker.ts). */

import type { Metric } from '../store/vector-index.js';
import type { BackendName } from '../tfjs/backend.js';

/** Sent once as workerData: the database (float32 rows) and how to search it. */
export interface KnnWorkerData {
  readonly backend: BackendName;
  readonly metric: Metric;
  readonly database: ArrayBuffer;
  readonly count: number;
  readonly dims: number;
}

/** Main thread -> worker (the main thread terminates the worker when done). */
export interface KnnRequest {
  readonly type: 'search';
  readonly queries: ArrayBuffer;
  readonly count: number;
  readonly k: number;
}

/** Worker -> main thread. */
export type KnnReply =
  | { readonly type: 'ready' }
  | { readonly type: 'progress'; readonly done: number }
  | {
      readonly type: 'result';
      readonly k: number;
      readonly ids: ArrayBuffer;
      readonly distances: ArrayBuffer;
    }
  | { readonly type: 'error'; readonly message: string };
