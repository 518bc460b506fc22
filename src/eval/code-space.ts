/**
 * The code space of the eval: database codes and HNSW index from `aesearch index` when one exists, was
 * built by this model for this data and uses this distance; otherwise the database is embedded and an
 * HNSW index built in memory with the default parameters (and a note says why).
 */
import { join } from 'node:path';
import type { Dataset } from '../dataset/types.js';
import { isAesearchError } from '../errors.js';
import { embedImages } from '../model/encoder.js';
import type { LoadedModel } from '../model/store.js';
import { INDEX_MANIFEST } from '../store/manifest.js';
import { type OpenedIndex, openIndex } from '../store/open-index.js';
import type { Metric } from '../store/vector-index.js';
import { DEFAULT_HNSW, type HnswParams, VectorIndex } from '../store/vector-index.js';
import type { KnnResult } from './knn.js';
import { type Ranking, recallAtK } from './metrics.js';
import type { HnswReport } from './report.js';
import { depthWithSelf, withoutSelf } from './self-exclusion.js';
import { type EvalLabels, type StageReporter, scoreRanking } from './space-eval.js';
import { pixelVectors, type VectorSet, vectorSet } from './vectors.js';

/** Database codes and the HNSW index to evaluate. */
export interface CodeDatabase {
  readonly codes: VectorSet;
  readonly index: VectorIndex;
  readonly params: HnswParams;
  readonly source: 'index' | 'memory';
  readonly indexBytesPerItem: number | null;
  /** Why the index was built in memory; null when it was loaded. */
  readonly note: string | null;
}

/** Embeds flat [0, 1] images with the encoder; `progress` gets images done. */
export async function embedVectors(
  model: LoadedModel,
  images: VectorSet,
  progress?: (done: number) => void,
): Promise<VectorSet> {
  const dims = model.manifest.codeSize;
  const codes = await embedImages(model.encoder, images.data, images.count, (start, batch) =>
    progress?.(start + batch.length / dims),
  );
  return vectorSet(codes, dims);
}

/** Runs the encoder once on a blank image, so one-off set-up is not timed as query embedding. */
export async function warmUpEncoder(model: LoadedModel, inputSize: number): Promise<void> {
  await embedVectors(model, vectorSet(new Float32Array(inputSize), inputSize));
}

/** The saved index when it can serve this eval; otherwise why not. */
async function trySaved(
  indexDir: string,
  model: LoadedModel,
  dataset: Dataset,
  metric: Metric,
): Promise<CodeDatabase | string> {
  let saved: OpenedIndex;
  try {
    saved = await openIndex(indexDir, { model, pixel: false });
  } catch (err) {
    if (isAesearchError(err, 'NO_INDEX')) return `no index at ${join(indexDir, INDEX_MANIFEST)}`;
    // A damaged, outdated or mismatched index does not stop the measurement; the note passes the message on.
    if (isAesearchError(err, 'INDEX_CORRUPT') || isAesearchError(err, 'INDEX_MISMATCH')) return err.message;
    throw err;
  }
  const { code } = saved.indexManifest;
  const { catalogue } = saved;
  const refusal =
    code.metric !== metric
      ? `the index uses ${code.metric} distance and this eval ${metric}`
      : !(catalogue.seed()?.fingerprint === dataset.fingerprint && catalogue.seed()?.unchanged)
        ? `the collection in ${indexDir} is not exactly this dataset's database (it was seeded from other data, or items were added or removed since)`
        : undefined;
  const codes = refusal
    ? undefined
    : catalogue.codesInOrder(model.manifest.weightsHash, dataset.database.count);
  catalogue.close();
  if (!codes) {
    saved.indexes.code.dispose();
    return refusal ?? `the collection in ${indexDir} lacks some codes of this model`;
  }
  return {
    codes: vectorSet(codes, code.dims),
    index: saved.indexes.code,
    params: code.params,
    source: 'index',
    indexBytesPerItem: code.count > 0 ? code.bytes / code.count : null,
    note: null,
  };
}

/**
 * The database side of the code space for `dataset` under `indexDir`: the saved index when it matches,
 * else the database embedded and indexed in memory, with a note saying why.
 */
export async function openCodeDatabase(
  indexDir: string,
  model: LoadedModel,
  dataset: Dataset,
  metric: Metric,
  stage: StageReporter,
): Promise<CodeDatabase> {
  const saved = await trySaved(indexDir, model, dataset, metric);
  if (typeof saved !== 'string') return saved;
  const count = dataset.database.count;
  const codes = await embedVectors(model, pixelVectors(dataset.database), stage('embed database', count));
  const params = DEFAULT_HNSW;
  const index = await VectorIndex.build(codes.data, codes.dims, metric, params, stage('HNSW build', count));
  const note = `${saved}; built an HNSW index in memory (m ${params.m}, efConstruction ${params.efConstruction}, ef ${params.efSearch})`;
  return { codes, index, params, source: 'memory', indexBytesPerItem: null, note };
}

/**
 * Searches every clean query code through HNSW, one at a time as a user would, and scores the
 * result against labels and against the exact neighbours (`exact`).
 */
export function evaluateHnsw(
  db: CodeDatabase,
  queries: VectorSet,
  embedSeconds: number,
  exact: KnnResult,
  labels: EvalLabels,
  ks: readonly number[],
  stage: StageReporter,
): HnswReport {
  const depth = exact.k;
  const asked = depthWithSelf(depth, labels.databaseIds);
  const ids = new Int32Array(queries.count * asked).fill(-1);
  const progress = stage('code HNSW', queries.count);
  const started = performance.now();
  for (let q = 0; q < queries.count; q++) {
    const found = db.index.search(queries.data.subarray(q * queries.dims, (q + 1) * queries.dims), asked);
    ids.set(found.ids.slice(0, asked), q * asked);
    if ((q + 1) % 1000 === 0 || q + 1 === queries.count) progress(q + 1);
  }
  const seconds = (performance.now() - started) / 1000 + embedSeconds;
  const ranking: Ranking = withoutSelf({ k: asked, count: queries.count, ids }, labels.databaseIds, depth);
  return {
    ...scoreRanking(ranking, labels, ks),
    qps: queries.count / Math.max(seconds, 1e-9),
    recall10: recallAtK(ranking, exact, Math.min(10, depth)),
    source: db.source,
    m: db.params.m,
    efConstruction: db.params.efConstruction,
    efSearch: db.params.efSearch,
    indexBytesPerItem: db.indexBytesPerItem,
  };
}
