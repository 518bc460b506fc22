/**
 * Worker thread that builds one HNSW index from vectors streamed to it, so index building runs on the
 * second core while the main thread embeds. Protocol: see `HnswBuildRequest` / `HnswBuildReply`.
 */
import hnswlib from 'hnswlib-node';
import { fsyncPath } from '../util/atomic-fs.js';
import { type Reply, serveWorker } from '../util/worker.js';
import type { HnswBuildReply, HnswBuildRequest } from './hnsw-protocol.js';

/** What the worker holds between messages: the index once `init` came, and its counters. */
interface BuildState {
  index?: InstanceType<typeof hnswlib.HierarchicalNSW>;
  dims: number;
  added: number;
  busySeconds: number;
}

async function handle(state: BuildState, msg: HnswBuildRequest, reply: Reply<HnswBuildReply>): Promise<void> {
  if (msg.type === 'init') {
    state.dims = msg.dims;
    state.index = new hnswlib.HierarchicalNSW(msg.metric, msg.dims);
    state.index.initIndex({
      maxElements: Math.max(1, msg.maxElements),
      m: msg.params.m,
      efConstruction: msg.params.efConstruction,
      randomSeed: msg.params.seed,
      allowReplaceDeleted: true,
    });
    return;
  }
  const index = state.index;
  if (!index) throw new Error('hnsw-worker: init must come first');
  if (msg.type === 'add') {
    const started = performance.now();
    const vectors = new Float32Array(msg.vectors);
    const ids = new Int32Array(msg.ids);
    const { dims } = state;
    const n = vectors.length / dims;
    for (let i = 0; i < n; i++)
      index.addPoint(Array.from(vectors.subarray(i * dims, (i + 1) * dims)), ids[i] ?? -1);
    state.added += n;
    state.busySeconds += (performance.now() - started) / 1000;
    reply({ type: 'progress', added: state.added });
    return;
  }
  const started = performance.now();
  await index.writeIndex(msg.file);
  await fsyncPath(msg.file);
  reply({
    type: 'done',
    count: state.added,
    buildSeconds: state.busySeconds,
    writeSeconds: (performance.now() - started) / 1000,
  });
}

serveWorker<HnswBuildRequest, HnswBuildReply, BuildState>({
  name: 'hnsw-worker',
  start: () => ({ dims: 0, added: 0, busySeconds: 0 }),
  handle,
});
