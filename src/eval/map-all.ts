/**
 * mAP over the whole ranked database (the figure retrieval papers report as "mAP"): every database item
 * ranked per query, not only the top k. That needs each query's distance to every item, so it runs on a
 * seeded sample of the queries when the caller asks for fewer than all.
 */
import { createRng } from '../util/rng.js';
import type { KnnEngine, KnnProgress } from './knn.js';
import { averagePrecisionAll } from './metrics.js';
import type { VectorSet } from './vectors.js';

/** Seed of the query sample, so every space and every run ranks the same queries. */
export const MAP_ALL_SEED = 1;

/**
 * Queries `eval` ranks the whole database for by default: each costs a product with every database
 * item and a pass over all N scores (~4-10 ms for 60,000 on wasm), and 1,000 put the sampling error of
 * the mean near 0.005, and of a difference between spaces (the same queries) below that.
 */
export const DEFAULT_MAP_ALL_QUERIES = 1000;

/**
 * Indices of `size` of `count` queries, ascending: all of them when size ≥ count, else a seeded
 * uniform sample without replacement.
 */
export function sampleQueries(count: number, size: number, seed = MAP_ALL_SEED): Int32Array {
  const all = Int32Array.from({ length: count }, (_, i) => i);
  if (size >= count) return all;
  const rng = createRng(seed);
  // the first `size` steps of a Fisher-Yates shuffle draw the sample
  for (let i = 0; i < size; i++) {
    const j = i + Math.floor(rng() * (count - i));
    const t = all[i] ?? 0;
    all[i] = all[j] ?? 0;
    all[j] = t;
  }
  return all.subarray(0, size).sort();
}

/** The rows `indices` of `set`, copied. */
export function pickRows(set: VectorSet, indices: ArrayLike<number>): VectorSet {
  const data = new Float32Array(indices.length * set.dims);
  for (let r = 0; r < indices.length; r++) {
    const from = (indices[r] ?? 0) * set.dims;
    data.set(set.data.subarray(from, from + set.dims), r * set.dims);
  }
  return { data, count: indices.length, dims: set.dims };
}

/**
 * Mean over `queries` of their average precision over the whole database of `engine`, ranked by the
 * float32 scores of exact search, on this thread, a block of queries at a time.
 */
export async function meanAveragePrecisionAll(
  engine: KnnEngine,
  queries: VectorSet,
  queryLabels: ArrayLike<number>,
  dbLabels: ArrayLike<number>,
  onProgress?: KnnProgress,
  selfIds?: Int32Array,
): Promise<number> {
  if (queries.count === 0) return 0;
  let total = 0;
  await engine.scoreRows(
    queries,
    (row, scores, offset) => {
      total += averagePrecisionAll(scores, queryLabels[row] ?? -1, dbLabels, offset, selfIds?.[row] ?? -1);
    },
    onProgress,
  );
  return total / queries.count;
}
