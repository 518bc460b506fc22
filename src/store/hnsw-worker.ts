/**
 * Worker thread that builds one HNSW index from vectors streamed to it, so index building runs on the
 * second core while the main thread embeds. Protocol: see `HnswBuildRequest` / `HnswBuildReply`.
 */
import { parentPort } from 'node:worker_threads';
import hnswlib from 'hnswlib-node';
import { fsyncPath } from '../util/atomic-fs.js';
import type { HnswBuildReply, HnswBuildRequest } from './hnsw-protocol.js';

const port = parentPort;
if (!port) throw new Error('hnsw-worker must run in a worker thread');

let index: InstanceType<typeof hnswlib.HierarchicalNSW> | undefined;
let dims = 0;
let added = 0;
let busySeconds = 0;

function reply(message: HnswBuildReply): void {
  port?.postMessage(message);
}

async function handle(msg: HnswBuildRequest): Promise<void> {
  if (msg.type === 'init') {
    dims = msg.dims;
    index = new hnswlib.HierarchicalNSW(msg.metric, msg.dims);
    index.initIndex({
      maxElements: Math.max(1, msg.maxElements),
      m: msg.params.m,
      efConstruction: msg.params.efConstruction,
      randomSeed: msg.params.seed,
    });
    return;
  }
  if (!index) throw new Error('hnsw-worker: init must come first');
  if (msg.type === 'add') {
    const started = performance.now();
    const vectors = new Float32Array(msg.vectors);
    const n = vectors.length / dims;
    for (let i = 0; i < n; i++)
      index.addPoint(Array.from(vectors.subarray(i * dims, (i + 1) * dims)), msg.firstId + i);
    added += n;
    busySeconds += (performance.now() - started) / 1000;
    reply({ type: 'progress', added });
    return;
  }
  const started = performance.now();
  await index.writeIndex(msg.file);
  await fsyncPath(msg.file);
  reply({
    type: 'done',
    count: added,
    buildSeconds: busySeconds,
    writeSeconds: (performance.now() - started) / 1000,
  });
}

// Messages are handled strictly in order: each waits for the previous one.
let queue = Promise.resolve();
port.on('message', (msg: HnswBuildRequest) => {
  queue = queue
    .then(() => handle(msg))
    .catch((err: unknown) => reply({ type: 'error', message: (err as Error).message }));
});
