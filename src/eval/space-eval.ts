/**
 * Evaluates one search space by exact kNN: the clean queries give precision@k, mAP@10 and queries/s,
 * the perturbed ones give robustness (precision@10).
 */
import type { ImageSet } from '../dataset/types.js';
import type { Metric } from '../store/vector-index.js';
import type { BackendName } from '../tfjs/backend.js';
import type { KnnResult } from './knn.js';
import { defaultThreads, openExactSearcher } from './knn-parallel.js';
import { meanAveragePrecisionAtK, precisionAtK, type Ranking } from './metrics.js';
import { PERTURBATIONS, type PerturbationName } from './perturb.js';
import type { PrecisionByK, SpaceReport } from './report.js';
import type { VectorSet } from './vectors.js';

/** Clean queries and each perturbation of them. */
export type QueryVariant = 'clean' | PerturbationName;
export type QuerySets = Readonly<Record<QueryVariant, ImageSet>>;

/** Labels of queries and database. */
export interface EvalLabels {
  readonly queries: Int32Array;
  readonly database: Int32Array;
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

/** precision@k for each k and mAP@10 of a ranking. */
export function scoreRanking(
  ranking: Ranking,
  labels: EvalLabels,
  ks: readonly number[],
): { precision: PrecisionByK; map10: number } {
  const precision: PrecisionByK = {};
  for (const k of ks) precision[String(k)] = precisionAtK(ranking, labels.queries, labels.database, k);
  return { precision, map10: meanAveragePrecisionAtK(ranking, labels.queries, labels.database, 10) };
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
      const knn = await searcher.search(vectors, depth, progress);
      return { knn, vectors, embedSeconds, seconds: (performance.now() - t0) / 1000 };
    };
    const clean = await run('clean');
    const robustness = {} as Record<PerturbationName, number>;
    for (const p of PERTURBATIONS) {
      robustness[p] = precisionAtK((await run(p)).knn, labels.queries, labels.database, 10);
    }
    const report: SpaceReport = {
      dims: space.database.dims,
      ...scoreRanking(clean.knn, labels, ks),
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
