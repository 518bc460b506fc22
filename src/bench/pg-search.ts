/**
 * Code search on both stores in one run: the same N codes (random, or given) indexed by the embedded
 * HNSW index and by PostgreSQL + pgvector, the same queries timed one at a time on each, and recall@10
 * of each against exact search. The PostgreSQL side runs in its own schema, dropped afterwards, so a
 * store that holds a collection is left as it was.
 */

import { openPool, query } from '../store/pg/connect.js';
import { PgStore } from '../store/pg/pg-store.js';
import type { PgNewItem } from '../store/pg/writes.js';
import {
  DEFAULT_HNSW,
  type HnswParams,
  type Metric,
  type Neighbours,
  VectorIndex,
} from '../store/vector-index.js';
import { createRng, gaussian } from '../util/rng.js';
import { exactTopK } from './search-speed.js';

/** Schema the benchmark's items live in while it runs. */
const BENCH_SCHEMA = 'aesearch_bench';

/** Items per insert transaction. */
const INSERT_BATCH = 2000;

/** What to measure. */
export interface PgSearchBenchOptions {
  /** Number of codes (60,000 by default, the size of Fashion-MNIST). */
  readonly count?: number;
  readonly dims?: number;
  readonly queries?: number;
  readonly metric?: Metric;
  readonly params?: HnswParams;
  /** count x dims codes to index instead of random ones (e.g. a collection's codes). */
  readonly codes?: Float32Array;
  readonly seed?: number;
  readonly onProgress?: (line: string) => void;
}

/** Throughput and recall of one store. */
export interface StoreSearchFigures {
  /** Queries per second, one at a time. */
  readonly qps: number;
  /** Share of the exact top 10 returned, averaged over the queries. */
  readonly recall10: number;
  /** Seconds to load and index the codes. */
  readonly buildSeconds: number;
}

/** The benchmark's result. */
export interface PgSearchFigures {
  readonly count: number;
  readonly dims: number;
  readonly queries: number;
  readonly embedded: StoreSearchFigures;
  readonly postgres: StoreSearchFigures;
  /** PostgreSQL bytes per item (table, TOAST and indexes) for these codes. */
  readonly bytesPerItem: number;
  /** The indexes PostgreSQL's plan uses for a code search, unfiltered and filtered to 3 labels of 10. */
  readonly plans: { readonly unfiltered: string[]; readonly filtered: string[] };
}

function randomVectors(count: number, dims: number, rng: () => number): Float32Array {
  const out = new Float32Array(count * dims);
  for (let i = 0; i < out.length; i++) out[i] = gaussian(rng);
  return out;
}

/** Times `search` over every query and measures recall@10 against `truth`. */
async function timeQueries(
  queries: Float32Array,
  dims: number,
  truth: readonly Set<number>[],
  search: (query: Float32Array) => Neighbours | Promise<Neighbours>,
): Promise<{ qps: number; recall10: number }> {
  const n = queries.length / dims;
  let hits = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const found = await search(queries.subarray(i * dims, (i + 1) * dims));
    const exact = truth[i];
    if (exact) hits += found.ids.filter((id) => exact.has(id)).length;
  }
  const seconds = (performance.now() - started) / 1000;
  return { qps: n / seconds, recall10: hits / (n * 10) };
}

/** Index names in an EXPLAIN (FORMAT JSON) plan. */
function indexNames(plan: unknown): string[] {
  if (Array.isArray(plan)) return plan.flatMap(indexNames);
  if (plan === null || typeof plan !== 'object') return [];
  const node = plan as Record<string, unknown>;
  const own = typeof node['Index Name'] === 'string' ? [node['Index Name']] : [];
  return [...own, ...Object.values(node).flatMap(indexNames)];
}

/** Loads `codes` into a fresh PgStore (ids 0..count-1, labels 0..9 round robin). */
async function loadPg(url: string, codes: Float32Array, dims: number, metric: Metric, params: HnswParams) {
  const store = await PgStore.open(url, {
    schema: BENCH_SCHEMA,
    migrate: { codeDims: dims, pixelDims: null, metric, m: params.m, efConstruction: params.efConstruction },
  });
  const count = codes.length / dims;
  const empty = new Uint8Array(0);
  const load = store.bulkLoad(async () => {
    for (let start = 0; start < count; start += INSERT_BATCH) {
      const batch: PgNewItem[] = [];
      for (let id = start; id < Math.min(count, start + INSERT_BATCH); id++)
        batch.push({
          id,
          source: `bench/${id}`,
          root: null,
          labelName: `label-${id % 10}`,
          bytes: 0,
          sha256: '',
          mtimeMs: null,
          input: empty,
          thumb: empty,
          thumbType: 'image/png',
          code: codes.subarray(id * dims, (id + 1) * dims),
        });
      await store.add(batch);
    }
  });
  try {
    await load;
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * Measures code search on the embedded index and on the PostgreSQL store at `url` with the same codes,
 * queries, metric and HNSW parameters. Throws STORE_UNREACHABLE when the store cannot be reached.
 */
export async function benchPgSearch(
  url: string,
  options: PgSearchBenchOptions = {},
): Promise<PgSearchFigures> {
  const dims = options.dims ?? 32;
  const rng = createRng(options.seed ?? 1);
  const codes = options.codes ?? randomVectors(options.count ?? 60_000, dims, rng);
  const count = codes.length / dims;
  const queries = randomVectors(options.queries ?? 500, dims, rng);
  const metric = options.metric ?? 'l2';
  const params = options.params ?? DEFAULT_HNSW;
  const say = options.onProgress ?? (() => {});
  const queryCount = queries.length / dims;

  say(`exact top 10 of ${queryCount} queries in ${count} codes`);
  const truth = await exactTopK(codes, queries, dims, metric, 10);

  say('embedded: building the HNSW index');
  let started = performance.now();
  const index = await VectorIndex.build(codes, dims, metric, params);
  const embeddedBuild = (performance.now() - started) / 1000;
  const embedded = await timeQueries(queries, dims, truth, (q) => index.search(q, 10));
  index.dispose();

  const admin = openPool(url, { max: 1 });
  try {
    await query(admin, `DROP SCHEMA IF EXISTS ${BENCH_SCHEMA} CASCADE`);
    await query(admin, `CREATE SCHEMA ${BENCH_SCHEMA}`);
    say(`postgres: loading ${count} codes into ${admin.where} (schema ${BENCH_SCHEMA})`);
    started = performance.now();
    const store = await loadPg(url, codes, dims, metric, params);
    try {
      const postgresBuild = (performance.now() - started) / 1000;
      const options = { efSearch: params.efSearch };
      say('postgres: searching');
      const postgres = await timeQueries(queries, dims, truth, (q) => store.search('code', q, 10, options));
      const size = await query<{ bytes: string }>(
        admin,
        `SELECT pg_total_relation_size('${BENCH_SCHEMA}.aesearch_items') AS bytes`,
      );
      const first = queries.subarray(0, dims);
      const plans = {
        unfiltered: indexNames(await store.explainSearch('code', first, 10, options)),
        filtered: indexNames(await store.explainSearch('code', first, 10, { ...options, labels: [1, 4, 7] })),
      };
      return {
        count,
        dims,
        queries: queryCount,
        embedded: { ...embedded, buildSeconds: embeddedBuild },
        postgres: { ...postgres, buildSeconds: postgresBuild },
        bytesPerItem: Number(size.rows[0]?.bytes ?? 0) / count,
        plans,
      };
    } finally {
      await store.close();
    }
  } finally {
    await query(admin, `DROP SCHEMA IF EXISTS ${BENCH_SCHEMA} CASCADE`).catch(() => {});
    await admin.pool.end();
  }
}
