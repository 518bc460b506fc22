/**
 * Nearest-neighbour queries on the PostgreSQL store: the SQL that pgvector's HNSW indexes answer, and
 * running it with a per-query `hnsw.ef_search` (transaction-local) and, with a label filter, an
 * iterative index scan so that filtering does not starve the result.
 */
import type pg from 'pg';
import type { Metric, Neighbours } from '../vector-index.js';
import { vectorParam } from './vectors.js';

/** A searchable space: the model's codes or the raw pixels. */
export type Space = 'code' | 'pixel';

/** pgvector's largest hnsw.ef_search. */
const MAX_EF_SEARCH = 1000;

/** Search options. */
export interface PgSearchOptions {
  /** Candidate list size (raised to k when smaller, capped at pgvector's 1,000). */
  readonly efSearch: number;
  /** Only items with one of these label numbers. */
  readonly labels?: readonly number[];
}

/**
 * The SELECT for `space`: distance by the operator the space's HNSW index was built for (`<->` true
 * L2, `<=>` 1 - cosine), so the planner can walk the index. $1 the query vector, $2 k, $3 the labels.
 */
export function searchSql(space: Space, metric: Metric, withLabels: boolean): string {
  const column = space === 'code' ? 'code' : 'pixel';
  const cast = space === 'code' ? 'vector' : 'halfvec';
  const op = space === 'code' && metric === 'cosine' ? '<=>' : '<->';
  const distance = `${column} ${op} $1::${cast}`;
  const where = withLabels ? 'WHERE label = ANY($3::int[])' : '';
  return `SELECT id, ${distance} AS distance FROM aesearch_items ${where} ORDER BY ${distance} LIMIT $2`;
}

/** Sets the transaction-local search parameters on `client` (inside BEGIN). */
export async function setSearchParams(
  client: pg.ClientBase,
  k: number,
  options: PgSearchOptions,
): Promise<void> {
  const ef = Math.min(MAX_EF_SEARCH, Math.max(options.efSearch, k));
  await client.query("SELECT set_config('hnsw.ef_search', $1, true)", [String(ef)]);
  if (options.labels !== undefined)
    await client.query("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true)");
}

/** The parameters of `searchSql` for one query. */
export function searchParams(
  vector: Float32Array | readonly number[],
  k: number,
  labels?: readonly number[],
): unknown[] {
  const params: unknown[] = [vectorParam(vector), k];
  if (labels !== undefined) params.push(labels);
  return params;
}

/** Runs one search on `client` (inside BEGIN, after setSearchParams); nearest first. */
export async function runSearch(
  client: pg.ClientBase,
  space: Space,
  metric: Metric,
  vector: Float32Array | readonly number[],
  k: number,
  labels?: readonly number[],
): Promise<Neighbours> {
  const result = await client.query<{ id: number; distance: number }>(
    searchSql(space, metric, labels !== undefined),
    searchParams(vector, k, labels),
  );
  // relaxed_order may return a filtered scan slightly out of order
  const rows = result.rows.sort((a, b) => a.distance - b.distance);
  return { ids: rows.map((r) => r.id), distances: rows.map((r) => Math.max(0, r.distance)) };
}
