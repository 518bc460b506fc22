/**
 * Nearest-neighbour queries on the PostgreSQL store: the SQL that pgvector's HNSW indexes answer, with a
 * per-query `hnsw.ef_search` and, with a label filter, an iterative index scan so that filtering does
 * not starve the result. The settings and the SELECT go as one multi-statement message, which
 * PostgreSQL runs as one implicit transaction: the settings are transaction-local (set_config(...,
 * true), i.e. SET LOCAL) and a search costs one round trip, not four (BEGIN, SET, SELECT, COMMIT).
 */

import type { Metric } from '../vector-index.js';
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

/** An integer for SQL text; anything else is a programming error, never user text reaching SQL. */
function int(n: number): number {
  if (!Number.isSafeInteger(n)) throw new RangeError(`Expected an integer but got ${n}`);
  return n;
}

/**
 * The SELECT for `space` with its values inlined: distance by the operator the space's HNSW index was
 * built for (`<->` true L2, `<=>` 1 - cosine), so the planner can walk the index.
 */
export function searchSelect(
  space: Space,
  metric: Metric,
  vector: Float32Array | readonly number[],
  k: number,
  labels?: readonly number[],
): string {
  const column = space === 'code' ? 'code' : 'pixel';
  const cast = space === 'code' ? 'vector' : 'halfvec';
  const op = space === 'code' && metric === 'cosine' ? '<=>' : '<->';
  // vectorParam prints numbers only, so the literal needs no escaping
  const distance = `${column} ${op} '${vectorParam(vector)}'::${cast}`;
  const where = labels === undefined ? '' : `WHERE label = ANY('{${labels.map(int).join(',')}}'::int[])`;
  return `SELECT id, ${distance} AS distance FROM aesearch_items ${where} ORDER BY ${distance} LIMIT ${int(k)}`;
}

/** The transaction-local settings a search runs under, as statements to send before it. */
export function searchSettings(k: number, options: PgSearchOptions, schema: string | null): string {
  const ef = Math.min(MAX_EF_SEARCH, Math.max(int(options.efSearch), int(k)));
  const settings = [`SELECT set_config('hnsw.ef_search', '${ef}', true);`];
  if (options.labels !== undefined)
    settings.push("SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true);");
  // schema names are checked to be plain SQL names when the pool is opened
  if (schema !== null) settings.push(`SELECT set_config('search_path', '${schema}, public', true);`);
  return settings.join(' ');
}

/** Search result rows, nearest first (relaxed_order may return a filtered scan slightly out of order). */
export function toNeighbours(rows: readonly { id: number; distance: number }[]): {
  ids: number[];
  distances: number[];
} {
  const sorted = [...rows].sort((a, b) => a.distance - b.distance);
  return { ids: sorted.map((r) => r.id), distances: sorted.map((r) => Math.max(0, r.distance)) };
}
