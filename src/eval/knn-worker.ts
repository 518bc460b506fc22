/**
 * Worker thread for exact kNN: holds its own copy of the database on its own tfjs backend, so a second
 * core scores half of each query set. Protocol: `KnnWorkerData` at start, then `KnnRequest` -> `KnnReply`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../tfjs/backend.js';
import { KnnEngine } from './knn.js';
import type { KnnReply, KnnRequest, KnnWorkerData } from './knn-protocol.js';

const port = parentPort;
if (!port) throw new Error('knn-worker must run in a worker thread');
const init = workerData as KnnWorkerData;

function reply(message: KnnReply, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

const ready = (async () => {
  await initBackend(init.backend);
  const engine = KnnEngine.create(
    { data: new Float32Array(init.database), count: init.count, dims: init.dims },
    init.metric,
  );
  reply({ type: 'ready' });
  return engine;
})();
ready.catch((err: unknown) => reply({ type: 'error', message: (err as Error).message }));

async function handle(msg: KnnRequest): Promise<void> {
  const engine = await ready;
  const queries = { data: new Float32Array(msg.queries), count: msg.count, dims: init.dims };
  const result = await engine.search(queries, msg.k, (done) => reply({ type: 'progress', done }));
  // Both arrays were allocated by KnnEngine.search: plain ArrayBuffers, safe to transfer.
  const ids = result.ids.buffer as ArrayBuffer;
  const distances = result.distances.buffer as ArrayBuffer;
  reply({ type: 'result', k: result.k, ids, distances }, [ids, distances]);
}

let queue = Promise.resolve();
port.on('message', (msg: KnnRequest) => {
  queue = queue
    .then(() => handle(msg))
    .catch((err: unknown) => reply({ type: 'error', message: (err as Error).message }));
});
