/** Search throughput, latency percentiles and recall against exact search. */
import { exactKnn } from '../eval/knn.js';
import { vectorSet } from '../eval/vectors.js';
import type { Metric, VectorIndex } from '../store/vector-index.js';

/** Search figures for one space. */
export interface SearchFigures {
  readonly qps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Share of the exact top 10 that the index returned, averaged over queries. */
  readonly recall10: number;
  readonly queries: number;
}

/** The value at quantile q (0..1) of sorted numbers. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] ?? Number.NaN;
}

/** Exact top-k ids for each query, by the eval's exact kNN (on the tfjs backend), as sets for recall. */
export async function exactTopK(
  database: Float32Array,
  queries: Float32Array,
  dims: number,
  metric: Metric,
  k: number,
): Promise<Set<number>[]> {
  const knn = await exactKnn(vectorSet(database, dims), vectorSet(queries, dims), k, metric);
  return Array.from({ length: knn.count }, (_, i) => new Set(knn.ids.subarray(i * knn.k, (i + 1) * knn.k)));
}

/**
 * Runs every query through `index` at k=10, timing each. Recall is measured on the first
 * `truth.length` queries.
 */
export function measureSearch(
  index: VectorIndex,
  queries: Float32Array,
  truth: readonly Set<number>[],
): SearchFigures {
  const dims = index.dims;
  const q = queries.length / dims;
  const times: number[] = new Array(q);
  let hits = 0;
  const started = performance.now();
  for (let i = 0; i < q; i++) {
    const t0 = performance.now();
    const found = index.search(queries.subarray(i * dims, (i + 1) * dims), 10);
    times[i] = performance.now() - t0;
    const exact = truth[i];
    if (exact) hits += found.ids.filter((id) => exact.has(id)).length;
  }
  const seconds = (performance.now() - started) / 1000;
  times.sort((a, b) => a - b);
  return {
    qps: q / seconds,
    p50Ms: quantile(times, 0.5),
    p99Ms: quantile(times, 0.99),
    recall10: hits / (Math.min(truth.length, q) * 10),
    queries: q,
  };
}
