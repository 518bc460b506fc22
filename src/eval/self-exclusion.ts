/**
 * Queries that are database items themselves (folder datasets keep every image searchable and sample
 * their queries from it) must not count finding themselves: each search asks one neighbour more and
 * drops the query's own id. Pure.
 */

/** Neighbours to ask for to keep `depth` after dropping the query itself (when `databaseIds` is given). */
export function depthWithSelf(depth: number, databaseIds: Int32Array | undefined): number {
  return databaseIds ? depth + 1 : depth;
}

/**
 * The `count` rows of `k` ids without each query's own database id (`databaseIds[row]`), cut to `depth`
 * columns (fewer when a row held fewer); the rows unchanged when `databaseIds` is undefined. Distances,
 * when given, follow their ids.
 */
export function withoutSelf<
  T extends { k: number; count: number; ids: Int32Array; distances?: Float32Array },
>(result: T, databaseIds: Int32Array | undefined, depth: number): T {
  if (!databaseIds) return result;
  const k = Math.max(0, Math.min(depth, result.k - 1));
  const ids = new Int32Array(result.count * k).fill(-1);
  const distances = result.distances ? new Float32Array(result.count * k) : undefined;
  for (let q = 0; q < result.count; q++) {
    const self = databaseIds[q] ?? -1;
    let to = 0;
    for (let i = 0; i < result.k && to < k; i++) {
      const id = result.ids[q * result.k + i] ?? -1;
      if (id === self) continue;
      ids[q * k + to] = id;
      if (distances) distances[q * k + to] = result.distances?.[q * result.k + i] ?? 0;
      to++;
    }
  }
  return { ...result, k, ids, ...(distances ? { distances } : {}) };
}
