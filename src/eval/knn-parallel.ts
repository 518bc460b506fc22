/**
 * Exact kNN on one or two threads. With two, a worker thread holds a second copy of the database on its
 * own tfjs backend and searches the second half of each query set while the main thread searches the
 * first: the wasm backend is single-threaded, so this is how the second core helps.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import type { Metric } from '../store/vector-index.js';
import type { BackendName } from '../tfjs/backend.js';
import { siblingModule, startWorker } from '../util/worker.js';
import { KnnEngine, type KnnProgress, type KnnResult } from './knn.js';
import type { KnnReply, KnnWorkerData } from './knn-protocol.js';
import { rowsOf, type VectorSet } from './vectors.js';

/**
 * Work (queries x database rows x (dims + 32), roughly the product plus the per-score JS) below which
 * a worker costs more to start (~1-2 s) than it saves.
 */
const MIN_PARALLEL_WORK = 2e10;

/** An exact searcher over one database; `dispose` frees tensors and stops the worker. */
export interface ExactSearcher {
  /** Threads it searches on (1 or 2). */
  readonly threads: number;
  /** This thread's engine over the database, for passes that need every score (e.g. mAP over it all). */
  readonly engine: KnnEngine;
  search(queries: VectorSet, k: number, onProgress?: KnnProgress): Promise<KnnResult>;
  dispose(): Promise<void>;
}

/**
 * How many threads pay for `queries` searches of `database` on `backend`: 2 for wasm/cpu (single-threaded
 * backends) on a multi-core machine when the work is large, else 1.
 */
export function defaultThreads(database: VectorSet, backend: BackendName, queries: number): number {
  const singleThreaded = backend === 'wasm' || backend === 'cpu';
  const large = queries * database.count * (database.dims + 32) >= MIN_PARALLEL_WORK;
  return singleThreaded && large && availableParallelism() >= 2 ? 2 : 1;
}

/**
 * Opens a searcher on `threads` threads (1 or 2); the worker runs `backend`. Resolves once the worker
 * holds the database, so timings of `search` exclude its start-up.
 */
export async function openExactSearcher(
  database: VectorSet,
  metric: Metric,
  backend: BackendName,
  threads: number,
): Promise<ExactSearcher> {
  const engine = KnnEngine.create(database, metric);
  if (threads < 2) {
    return {
      threads: 1,
      engine,
      search: (q, k, p) => engine.search(q, k, p),
      dispose: async () => engine.dispose(),
    };
  }
  const data: KnnWorkerData = {
    backend,
    metric,
    database: database.data.slice().buffer,
    count: database.count,
    dims: database.dims,
  };
  const worker = startWorker(siblingModule(import.meta.url, 'knn-worker'), {
    workerData: data,
    transferList: [data.database],
  });
  const dispose = async () => {
    engine.dispose();
    await worker.terminate();
  };
  try {
    await workerReady(worker);
  } catch (err) {
    await dispose();
    throw err;
  }
  return {
    threads: 2,
    engine,
    search: (queries, k, onProgress) => searchSplit(engine, worker, queries, k, onProgress),
    dispose,
  };
}

function workerReady(worker: Worker): Promise<void> {
  return nextReply(worker, (msg) => (msg.type === 'ready' ? true : undefined)).then(() => undefined);
}

/**
 * Resolves with `pick(msg)` for the first worker message it accepts (not undefined); rejects on an
 * error message or a crashed worker. Progress messages go to `onProgress`.
 */
function nextReply<T>(
  worker: Worker,
  pick: (msg: KnnReply) => T | undefined,
  onProgress?: KnnProgress,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => finish(() => reject(err));
    const onMessage = (msg: KnnReply) => {
      if (msg.type === 'progress') onProgress?.(msg.done);
      if (msg.type === 'error') return finish(() => reject(new Error(`kNN worker: ${msg.message}`)));
      const value = pick(msg);
      if (value !== undefined) finish(() => resolve(value));
    };
    const finish = (settle: () => void) => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      settle();
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
  });
}

async function searchSplit(
  engine: KnnEngine,
  worker: Worker,
  queries: VectorSet,
  k: number,
  onProgress?: KnnProgress,
): Promise<KnnResult> {
  const split = Math.ceil(queries.count / 2);
  let mainDone = 0;
  let workerDone = 0;
  const report = () => onProgress?.(mainDone + workerDone);
  const remote = askWorker(worker, rowsOf(queries, split, queries.count), k, (done) => {
    workerDone = done;
    report();
  });
  const local = await engine.search(rowsOf(queries, 0, split), k, (done) => {
    mainDone = done;
    report();
  });
  const far = await remote;
  const ids = new Int32Array(queries.count * local.k);
  const distances = new Float32Array(queries.count * local.k);
  ids.set(local.ids);
  ids.set(far.ids, local.ids.length);
  distances.set(local.distances);
  distances.set(far.distances, local.distances.length);
  return { k: local.k, count: queries.count, ids, distances };
}

function askWorker(
  worker: Worker,
  queries: VectorSet,
  k: number,
  onProgress: KnnProgress,
): Promise<{ ids: Int32Array; distances: Float32Array }> {
  const reply = nextReply(
    worker,
    (msg) =>
      msg.type === 'result'
        ? { ids: new Int32Array(msg.ids), distances: new Float32Array(msg.distances) }
        : undefined,
    onProgress,
  );
  const copy = queries.data.slice();
  worker.postMessage({ type: 'search', queries: copy.buffer, count: queries.count, k }, [copy.buffer]);
  return reply;
}
