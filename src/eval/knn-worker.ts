/**
 * Worker thread for exact kNN: holds its own copy of the database on its own tfjs backend, so a second
 * core scores half of each query set. Protocol: `KnnWorkerData` at start, then `KnnRequest` -> `KnnReply`.
 */
import { workerData } from 'node:worker_threads';
import { initBackend } from '../tfjs/backend.js';
import { serveWorker } from '../util/worker.js';
import { KnnEngine } from './knn.js';
import type { KnnReply, KnnRequest, KnnWorkerData } from './knn-protocol.js';

const init = workerData as KnnWorkerData;

serveWorker<KnnRequest, KnnReply, KnnEngine>({
  name: 'knn-worker',
  start: async (reply) => {
    await initBackend(init.backend);
    const engine = KnnEngine.create(
      { data: new Float32Array(init.database), count: init.count, dims: init.dims },
      init.metric,
    );
    reply({ type: 'ready' });
    return engine;
  },
  handle: async (engine, msg, reply) => {
    const queries = { data: new Float32Array(msg.queries), count: msg.count, dims: init.dims };
    const result = await engine.search(queries, msg.k, (done) => reply({ type: 'progress', done }));
    // Both arrays were allocated by KnnEngine.search: plain ArrayBuffers, safe to transfer.
    const ids = result.ids.buffer as ArrayBuffer;
    const distances = result.distances.buffer as ArrayBuffer;
    reply({ type: 'result', k: result.k, ids, distances }, [ids, distances]);
  },
});
