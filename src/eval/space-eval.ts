/**
 * Evaluates one search space by exact kNN: the clean queries give precision@k, mAP@10, kNN accuracy and
 * queries/s, a seeded sample of them mAP over the whole database, and the perturbed ones robustness
 * (precision@10).
 */
import type { ImageSet } from '../dataset/types.js';
import type { Metric } from '../store/vector-index.js';
import type { BackendName } from '../tfjs/backend.js';
import type { KnnResult } from './knn.js';
import { defaultThreads, type ExactSearcher, openExactSearcher } from './knn-parallel.js';
import { meanAveragePrecisionAll, pickRows, sampleQueries } from './map-all.js';
import { knnAccuracy, meanAveragePrecisionAtK, precisionAtK, type Ranking } from './metrics.js';
import { PERTURBATIONS, type PerturbationName } from './perturb.js';
import { KNN_VOTERS, type PrecisionByK, type SpaceReport } from './report.js';
import { depthWithSelf, withoutSelf } from './self-exclusion.js';
import type { VectorSet } from './vectors.js';

/** Clean queries and each perturbation of them. */
export type QueryVariant = 'clean' | PerturbationName;
export type QuerySets = Readonly<Record<QueryVariant, ImageSet>>;

/** Labels of queries and database. */
export interface EvalLabels {
  readonly queries: Int32Array;
  readonly database: Int32Array;
  /** Each query's own database id, kept out of its neighbours; absent when queries are not in the database. */
  readonly databaseIds?: Int32Array;
}

/** Called when a long stage starts; returns its progress callback. */
export type StageReporter = (label: string, total: number) => (done: number) => void;

/** A space to evaluate. */
export interface ExactSpace {
  readonly name: string;
  readonly database: VectorSet;
  /** Maps query images into the space (timed with the search for queries/s). */
  readonly embed: (set: ImageSet) => Promise<VectorSet>;
  readonly metric: Metric;
  readonly backend: BackendName;
  readonly threads?: number;
  /** Clean queries (a seeded sample of them) ranking the whole database for `mapAll`. */
  readonly mapAllQueries: number;
}

/** A space's report and what later stages need. */
export interface ExactSpaceResult {
  readonly report: SpaceReport;
  /** Exact neighbours of the clean queries. */
  readonly clean: KnnResult;
  /** The clean queries' vectors in this space. */
  readonly cleanVectors: VectorSet;
  /** Seconds spent embedding the clean queries. */
  readonly embedSeconds: number;
}

/** Neighbours needed for `ks` (at least 10: mAP@10, recall@10 and robustness use it). */
export function searchDepth(ks: readonly number[]): number {
  return Math.max(10, ...ks);
}

/** precision@k for each k, mAP@10 and kNN accuracy (10 voters) of a ranking. */
export function scoreRanking(
  ranking: Ranking,
  labels: EvalLabels,
  ks: readonly number[],
): { precision: PrecisionByK; map10: number; knnAccuracy: number } {
  const precision: PrecisionByK = {};
  for (const k of ks) precision[String(k)] = precisionAtK(ranking, labels.queries, labels.database, k);
  return {
    precision,
    map10: meanAveragePrecisionAtK(ranking, labels.queries, labels.database, 10),
    knnAccuracy: knnAccuracy(ranking, labels.queries, labels.database, KNN_VOTERS),
  };
}

/** mAP over the whole database of a seeded sample of `count` of the clean queries `vectors`. */
async function mapOverAll(
  searcher: ExactSearcher,
  vectors: VectorSet,
  labels: EvalLabels,
  count: number,
  progress: (done: number) => void,
): Promise<{ mapAll: number; mapAllQueries: number }> {
  const sample = sampleQueries(vectors.count, count);
  const sampleLabels = Int32Array.from(sample, (q) => labels.queries[q] ?? -1);
  const ids = labels.databaseIds;
  const selfIds = ids ? Int32Array.from(sample, (q) => ids[q] ?? -1) : undefined;
  const queries = pickRows(vectors, sample);
  const mapAll = await meanAveragePrecisionAll(
    searcher.engine,
    queries,
    sampleLabels,
    labels.database,
    progress,
    selfIds,
  );
  return { mapAll, mapAllQueries: sample.length };
}

/** Runs the clean and perturbed queries through exact search in `space`. */
export async function evaluateExactSpace(
  space: ExactSpace,
  queries: QuerySets,
  labels: EvalLabels,
  ks: readonly number[],
  stage: StageReporter,
): Promise<ExactSpaceResult> {
  const started = performance.now();
  const total = Object.values(queries).reduce((sum, set) => sum + set.count, 0);
  const threads = space.threads ?? defaultThreads(space.database, space.backend, total);
  const searcher = await openExactSearcher(space.database, space.metric, space.backend, threads);
  const depth = searchDepth(ks);
  try {
    const run = async (variant: QueryVariant) => {
      const t0 = performance.now();
      const vectors = await space.embed(queries[variant]);
      const embedSeconds = (performance.now() - t0) / 1000;
      const progress = stage(`${space.name} ${variant}`, vectors.count);
      const found = await searcher.search(vectors, depthWithSelf(depth, labels.databaseIds), progress);
      const knn = withoutSelf(found, labels.databaseIds, depth);
      return { knn, vectors, embedSeconds, seconds: (performance.now() - t0) / 1000 };
    };
    const clean = await run('clean');
    const mapProgress = stage(
      `${space.name} mAP (all ranks)`,
      Math.min(space.mapAllQueries, clean.vectors.count),
    );
    const mapAll = await mapOverAll(searcher, clean.vectors, labels, space.mapAllQueries, mapProgress);
    const robustness = {} as Record<PerturbationName, number>;
    for (const p of PERTURBATIONS) {
      robustness[p] = precisionAtK((await run(p)).knn, labels.queries, labels.database, 10);
    }
    const report: SpaceReport = {
      dims: space.database.dims,
      ...scoreRanking(clean.knn, labels, ks),
      ...mapAll,
      qps: clean.knn.count / Math.max(clean.seconds, 1e-9),
      bytesPerItem: space.database.dims * Float32Array.BYTES_PER_ELEMENT,
      robustness,
      metric: space.metric,
      method: `exact ${space.metric} kNN (blocked tfjs matMul, ${searcher.threads} thread${searcher.threads > 1 ? 's' : ''})`,
      seconds: (performance.now() - started) / 1000,
    };
    return { report, clean: clean.knn, cleanVectors: clean.vectors, embedSeconds: clean.embedSeconds };
  } finally {
    await searcher.dispose();
  }
}
