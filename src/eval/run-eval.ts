/**
 * `aesearch eval` as a library call: perturb the queries, evaluate the pixel and PCA baselines (or take
 * them from the cache), then the trained encoder's code space exactly and through HNSW, and assemble
 * the report. Progress and notes go to callbacks; nothing is printed here.
 */
import { head } from '../dataset/split.js';
import type { Dataset, ImageSet, QuerySet } from '../dataset/types.js';
import { createError } from '../errors.js';
import { imageBytes } from '../image/preprocess.js';
import type { LoadedModel } from '../model/store.js';
import type { Metric } from '../store/vector-index.js';
import type { BackendName } from '../tfjs/backend.js';
import {
  type Baselines,
  baselineKey,
  evaluateBaselines,
  readCachedBaselines,
  writeCachedBaselines,
} from './baseline.js';
import { embedVectors, evaluateHnsw, openCodeDatabase, warmUpEncoder } from './code-space.js';
import { DEFAULT_MAP_ALL_QUERIES, MAP_ALL_SEED } from './map-all.js';
import { evaluateOod, type OtherCollection } from './ood.js';
import { OOD_SETS } from './ood-sets.js';
import { PERTURBATION_PROTOCOL } from './perturb.js';
import { perturbedQuerySets } from './query-cache.js';
import type { CodeSpaceReport, EvalProtocol, EvalReport } from './report.js';
import { depthWithSelf } from './self-exclusion.js';
import {
  type EvalLabels,
  type ExactSpace,
  evaluateExactSpace,
  type QuerySets,
  type StageReporter,
  searchDepth,
} from './space-eval.js';
import { pixelVectors } from './vectors.js';

/** What to evaluate and how. */
export interface EvalOptions {
  readonly indexDir: string;
  readonly dataset: Dataset;
  readonly model: LoadedModel;
  /** Evaluate the first N queries (default: all). */
  readonly queries?: number;
  /** Precision depths; 10 is always added (mAP@10, recall@10 and robustness use it). */
  readonly ks: readonly number[];
  readonly metric: Metric;
  readonly backend: BackendName;
  /** Threads for exact search (default: 2 where it pays). */
  readonly threads?: number;
  /** Clean queries, a seeded sample of them, for mAP over the whole database (default DEFAULT_MAP_ALL_QUERIES). */
  readonly mapAllQueries?: number;
  /** Folder of cached perturbed queries and pixel/PCA results; null disables the cache. */
  readonly cacheDir: string | null;
  /** Reuse cached results (default true); false recomputes them and refreshes the cache. */
  readonly readCache?: boolean;
  readonly stage?: StageReporter;
  readonly note?: (message: string) => void;
  /** Other collections the out-of-distribution figures test against, besides the built-in sets. */
  readonly oodOthers?: readonly OtherCollection[];
}

/** The k list the eval reports: the given ks plus 10, sorted and unique. */
export function reportedKs(ks: readonly number[]): number[] {
  return [...new Set([...ks, 10])].sort((a, b) => a - b);
}

function labelsOf(dataset: Dataset, queries: QuerySet): EvalLabels {
  if (!dataset.database.labels || !queries.labels)
    throw createError('EVAL_NEEDS_LABELS', { name: dataset.name });
  const ids = queries.databaseIds;
  return { queries: queries.labels, database: dataset.database.labels, ...(ids ? { databaseIds: ids } : {}) };
}

async function baselines(
  options: EvalOptions,
  input: Parameters<typeof evaluateBaselines>[0],
  stage: StageReporter,
): Promise<Baselines> {
  const key = options.cacheDir ? baselineKey(input) : '';
  if (options.cacheDir && options.readCache !== false) {
    const cached = await readCachedBaselines(options.cacheDir, key);
    if (cached) {
      options.note?.(
        `pixel and pca figures from the cache (${options.cacheDir}/baseline-${key}.json); --no-cache recomputes them`,
      );
      return cached;
    }
  }
  const fresh = await evaluateBaselines(input, stage);
  if (options.cacheDir) await writeCachedBaselines(options.cacheDir, key, fresh);
  return fresh;
}

/** Distance, backend, mAP sample and (when set) threads of every exact search. */
function searchSettings(
  options: EvalOptions,
): Pick<ExactSpace, 'metric' | 'backend' | 'threads' | 'mapAllQueries'> {
  const { metric, backend, threads } = options;
  const mapAllQueries = options.mapAllQueries ?? DEFAULT_MAP_ALL_QUERIES;
  return { metric, backend, mapAllQueries, ...(threads ? { threads } : {}) };
}

/** Evaluates the code space: exact search over the database codes, then HNSW. */
async function evaluateCode(
  options: EvalOptions,
  sets: QuerySets,
  labels: EvalLabels,
  ks: readonly number[],
  stage: StageReporter,
): Promise<{ code: CodeSpaceReport; note: string | null; databaseSeconds: number }> {
  const { dataset, model, metric } = options;
  const started = performance.now();
  const db = await openCodeDatabase(options.indexDir, model, dataset, metric, stage);
  if (db.note) options.note?.(db.note);
  await warmUpEncoder(model, imageBytes(dataset.format));
  const databaseSeconds = (performance.now() - started) / 1000;
  const embed = (set: ImageSet) => embedVectors(model, pixelVectors(set));
  const space = { name: 'code', database: db.codes, embed, ...searchSettings(options) };
  const exact = await evaluateExactSpace(space, sets, labels, ks, stage);
  const hnsw = evaluateHnsw(db, exact.cleanVectors, exact.embedSeconds, exact.clean, labels, ks, stage);
  const code: CodeSpaceReport = {
    ...exact.report,
    qps: hnsw.qps,
    exactQps: exact.report.qps,
    hnswRecall10: hnsw.recall10,
    hnsw,
    method: `${exact.report.method}; qps through HNSW (${hnsw.source === 'index' ? 'the built index' : 'built in memory'})`,
    seconds: (performance.now() - started) / 1000,
  };
  return { code, note: db.note, databaseSeconds };
}

/** Runs the whole evaluation. Throws EVAL_NEEDS_LABELS, BAD_OPTION, or the index/model errors. */
export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const { dataset, model, metric, backend } = options;
  const stage: StageReporter = options.stage ?? (() => () => {});
  const ks = reportedKs(options.ks);
  const depth = depthWithSelf(searchDepth(ks), dataset.queries.databaseIds);
  if (dataset.database.count < depth)
    throw createError('BAD_OPTION', {
      name: '--k',
      expected: `at most the database size (${dataset.database.count})${dataset.queries.databaseIds ? ' minus 1, as the queries are database items kept out of their own neighbours' : ''}`,
      got: depth,
    });
  const queries = head(dataset.queries, options.queries, imageBytes(dataset.format));
  const labels = labelsOf(dataset, queries);
  const read = options.readCache !== false;
  const { sets, cached } = await perturbedQuerySets(queries, dataset.format, options.cacheDir, read, stage);
  if (cached) options.note?.(`perturbed queries from the cache in ${options.cacheDir}`);
  const perturbSeconds = (performance.now() - started) / 1000;
  const pcaDims = model.manifest.codeSize;
  const input = { dataset, queries: sets, labels, ks, pcaDims, ...searchSettings(options) };
  const base = await baselines(options, input, stage);
  const { code, note, databaseSeconds } = await evaluateCode(options, sets, labels, ks, stage);
  const others = options.oodOthers ?? [];
  const oodProgress = stage('out-of-distribution sets', OOD_SETS.length + others.length);
  const ood = await evaluateOod(model, dataset.database, queries, dataset.format, others, oodProgress);
  const seconds = (performance.now() - started) / 1000;
  return {
    protocol: protocolOf(dataset, queries.count, ks, metric, searchSettings(options).mapAllQueries),
    spaces: { pixel: base.pixel, pca: base.pca, code },
    model: modelSummary(model),
    notes: note ? [note] : [],
    ood,
    backend,
    timings: { perturbSeconds, codeDatabaseSeconds: databaseSeconds, totalSeconds: seconds },
    seconds,
    createdAt: new Date().toISOString(),
  };
}

/**
 * The protocol of an eval of the first `queries` queries of `dataset`, with mAP over the whole database
 * on `mapAllQueries` of them (all when more).
 */
export function protocolOf(
  dataset: Dataset,
  queries: number,
  ks: number[],
  metric: Metric,
  mapAllQueries = DEFAULT_MAP_ALL_QUERIES,
): EvalProtocol {
  return {
    dataset: dataset.name,
    database: dataset.database.count,
    queries,
    queriesAvailable: dataset.queries.count,
    split: dataset.split,
    origin: dataset.origin,
    metric,
    k: ks,
    relevance: 'same label',
    perturbations: PERTURBATION_PROTOCOL,
    mapAll: { queries: Math.min(mapAllQueries, queries), seed: MAP_ALL_SEED },
  };
}

/** The model facts every report carries: architecture, code size, weights, training. */
export function modelSummary(model: LoadedModel): Record<string, unknown> {
  const m = model.manifest;
  return {
    arch: m.arch.arch,
    codeSize: m.codeSize,
    weightsHash: m.weightsHash,
    preset: m.training.preset,
    epochs: m.training.epochs,
    trainSeconds: m.training.seconds,
    finalLoss: m.finalLoss,
    dataset: m.dataset.name,
  };
}
