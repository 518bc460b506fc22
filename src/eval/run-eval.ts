/**
 * `aesearch eval` as a library call: perturb the queries, evaluate the pixel and PCA baselines (or take
 * them from the cache), then the trained encoder's code space exactly and through HNSW, and assemble
 * the report. Progress and notes go to callbacks; nothing is printed here.
 */
import { head } from '../dataset/split.js';
import type { Dataset, ImageSet } from '../dataset/types.js';
import { createError } from '../errors.js';
import type { BackendName } from '../model/backend.js';
import type { LoadedModel } from '../model/store.js';
import {
  type Baselines,
  baselineKey,
  evaluateBaselines,
  readCachedBaselines,
  writeCachedBaselines,
} from './baseline.js';
import { embedVectors, evaluateHnsw, openCodeDatabase, warmUpEncoder } from './code-space.js';
import { PERTURBATION_PROTOCOL, PERTURBATIONS, perturbQueries } from './perturb.js';
import type { CodeSpaceReport, EvalProtocol, EvalReport } from './report.js';
import {
  type EvalLabels,
  evaluateExactSpace,
  type QuerySets,
  type StageReporter,
  searchDepth,
} from './space-eval.js';
import { type Metric, pixelVectors } from './vectors.js';

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
  /** Folder of cached pixel/PCA results; null disables the cache. */
  readonly cacheDir: string | null;
  readonly stage?: StageReporter;
  readonly note?: (message: string) => void;
}

/** The k list the eval reports: the given ks plus 10, sorted and unique. */
export function reportedKs(ks: readonly number[]): number[] {
  return [...new Set([...ks, 10])].sort((a, b) => a - b);
}

function labelsOf(dataset: Dataset, queries: ImageSet): EvalLabels {
  if (!dataset.database.labels || !queries.labels) throw createError('EVAL_NEEDS_LABELS', dataset.name);
  return { queries: queries.labels, database: dataset.database.labels };
}

async function querySets(queries: ImageSet, side: number, stage: StageReporter): Promise<QuerySets> {
  const sets: Partial<Record<keyof QuerySets, ImageSet>> = { clean: queries };
  for (const p of PERTURBATIONS)
    sets[p] = await perturbQueries(p, queries, side, stage(`perturb ${p}`, queries.count));
  return sets as QuerySets;
}

async function baselines(
  options: EvalOptions,
  input: Parameters<typeof evaluateBaselines>[0],
  stage: StageReporter,
): Promise<Baselines> {
  const key = options.cacheDir ? baselineKey(input) : '';
  if (options.cacheDir) {
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

/** Runs the whole evaluation. Throws EVAL_NEEDS_LABELS, BAD_OPTION, or the index/model errors. */
export async function runEval(options: EvalOptions): Promise<EvalReport> {
  const started = performance.now();
  const { dataset, model, metric, backend } = options;
  const stage: StageReporter = options.stage ?? (() => () => {});
  const ks = reportedKs(options.ks);
  if (dataset.database.count < searchDepth(ks))
    throw createError(
      'BAD_OPTION',
      '--k',
      `at most the database size (${dataset.database.count})`,
      searchDepth(ks),
    );
  const queries = head(dataset.queries, options.queries, dataset.side);
  const labels = labelsOf(dataset, queries);
  const sets = await querySets(queries, dataset.side, stage);
  const threads = options.threads;
  const common = { metric, backend, ...(threads ? { threads } : {}) };
  const base = await baselines(
    options,
    { dataset, queries: sets, labels, ks, pcaDims: model.manifest.codeSize, ...common },
    stage,
  );
  const db = await openCodeDatabase(options.indexDir, model, dataset, metric, stage);
  if (db.note) options.note?.(db.note);
  await warmUpEncoder(model, dataset.side * dataset.side);
  const exact = await evaluateExactSpace(
    { name: 'code', database: db.codes, embed: (set) => embedVectors(model, pixelVectors(set)), ...common },
    sets,
    labels,
    ks,
    stage,
  );
  const hnsw = evaluateHnsw(db, exact.cleanVectors, exact.embedSeconds, exact.clean, labels, ks, stage);
  const code: CodeSpaceReport = {
    ...exact.report,
    qps: hnsw.qps,
    exactQps: exact.report.qps,
    hnswRecall10: hnsw.recall10,
    hnsw,
    method: `${exact.report.method}; qps through HNSW (${hnsw.source === 'index' ? 'the built index' : 'built in memory'})`,
  };
  return {
    protocol: protocolOf(dataset, queries.count, ks, metric),
    spaces: { pixel: base.pixel, pca: base.pca, code },
    model: modelSummary(model),
    notes: db.note ? [db.note] : [],
    backend,
    seconds: (performance.now() - started) / 1000,
    createdAt: new Date().toISOString(),
  };
}

/** The protocol of an eval of the first `queries` queries of `dataset`. */
export function protocolOf(dataset: Dataset, queries: number, ks: number[], metric: Metric): EvalProtocol {
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
  };
}

function modelSummary(model: LoadedModel): Record<string, unknown> {
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
