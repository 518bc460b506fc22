/**
 * The connection to a PostgreSQL store: a `pg` pool from a `postgres://` URL with pgvector's types
 * registered, and the one place where a failed connection becomes STORE_UNREACHABLE naming the host.
 */
import pg from 'pg';
import pgvector from 'pgvector/pg';
import { AesearchError, createError } from '../../errors.js';

/** Pool size when none is asked for: a server's concurrent searches, not more (each holds a backend). */
export const DEFAULT_POOL_SIZE = 8;

/** How long a connection attempt may take before the store counts as unreachable. */
const CONNECT_TIMEOUT_MS = 5000;

/** Node socket errors and PostgreSQL SQLSTATEs that mean "the store is not there", not "the query is wrong". */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '28P01', // invalid_password
  '28000', // invalid_authorization_specification
  '3D000', // invalid_catalog_name: the database does not exist
]);

/** Messages of pg's own connection failures, which carry no code. */
const UNREACHABLE_MESSAGE =
  /^(Connection terminated|timeout expired|Client has encountered a connection error)/i;

/** A pool on one store, with the store's printable address (never the password). */
export interface StorePool {
  readonly pool: pg.Pool;
  /** `host:port/database`, as errors show it. */
  readonly where: string;
  /** Schema the store's tables live in, or null for the connection's search_path (normally public). */
  readonly schema: string | null;
}

/** `host:port/database` of a `postgres://` URL, without user or password. */
export function describeStore(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return 'an unparsable URL';
  }
}

/**
 * Opens a pool on the store at `url` (nothing connects until the first query), its tables in `schema`
 * when given. Idle connections that the server drops are discarded quietly; the next query reconnects
 * or reports STORE_UNREACHABLE.
 */
export function openPool(url: string, options: { max?: number; schema?: string } = {}): StorePool {
  const schema = options.schema ?? null;
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema))
    throw createError('BAD_OPTION', {
      name: 'the store schema',
      expected: 'a lower-case SQL name',
      got: schema,
    });
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    onConnect: registerVectorTypes,
  });
  // Without a listener, a dropped idle connection would be an uncaught 'error' and end the process.
  pool.on('error', () => {});
  return { pool, where: describeStore(url), schema };
}

/**
 * Registers pgvector's parsers on a new connection. A store not yet migrated has no `vector` type;
 * the store's own queries select vectors as real[], so they do not depend on the parsers.
 */
async function registerVectorTypes(client: pg.ClientBase): Promise<void> {
  try {
    await pgvector.registerTypes(client);
  } catch (err) {
    if (!/vector type not found/.test((err as Error).message)) throw err;
  }
}

/** Why a connection failed, in a few words: the error's code, else its message. */
function reason(err: Error & { code?: string; errors?: Error[] }): string {
  const inner = err.errors?.[0] as (Error & { code?: string }) | undefined;
  const code = err.code ?? inner?.code;
  if (code !== undefined && /^[A-Z]+$/.test(code)) return code;
  return err.message || inner?.message || String(code);
}

/** STORE_UNREACHABLE for `err` when it is a connection failure, else `err` unchanged. */
export function storeError(err: unknown, where: string): unknown {
  if (err instanceof AesearchError || !(err instanceof Error)) return err;
  const e = err as Error & { code?: string; errors?: (Error & { code?: string })[] };
  const code = e.code ?? e.errors?.[0]?.code;
  if ((code !== undefined && UNREACHABLE_CODES.has(code)) || UNREACHABLE_MESSAGE.test(e.message)) {
    const failure = createError('STORE_UNREACHABLE', { host: where, why: reason(e) });
    return Object.assign(failure, { cause: err });
  }
  return err;
}

/** Runs one statement; connection failures throw STORE_UNREACHABLE. */
export async function query<R extends pg.QueryResultRow>(
  store: StorePool,
  text: string,
  params: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  if (store.schema !== null)
    return transaction(store, (client) => client.query<R>(text, params as unknown[]));
  try {
    return await store.pool.query<R>(text, params as unknown[]);
  } catch (err) {
    throw storeError(err, store.where);
  }
}

/**
 * Sends `text`, several statements in one simple-protocol message (one implicit transaction, one round
 * trip), and returns the last statement's rows. Only for SQL built from checked numbers and names.
 */
export async function lastRows<R extends pg.QueryResultRow>(store: StorePool, text: string): Promise<R[]> {
  try {
    const result = (await store.pool.query(text)) as unknown as pg.QueryResult<R> | pg.QueryResult<R>[];
    const last = Array.isArray(result) ? result[result.length - 1] : result;
    return last?.rows ?? [];
  } catch (err) {
    throw storeError(err, store.where);
  }
}

/**
 * Runs `work` in one transaction on one connection, in the store's schema: COMMIT when it resolves,
 * ROLLBACK when it throws. The schema is set per transaction (SET LOCAL), not per session, because
 * PGlite serves every connection from one shared session.
 * Connection failures throw STORE_UNREACHABLE; a connection that failed is not returned to the pool.
 */
export async function transaction<T>(
  store: StorePool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await store.pool.connect();
  } catch (err) {
    throw storeError(err, store.where);
  }
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    if (store.schema !== null)
      await client.query("SELECT set_config('search_path', $1, true)", [`${store.schema}, public`]);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    const mapped = storeError(err, store.where);
    if (mapped !== err || isConnectionLost(err)) broken = err as Error;
    else await client.query('ROLLBACK').catch(() => {});
    throw mapped;
  } finally {
    client.release(broken);
  }
}

function isConnectionLost(err: unknown): boolean {
  return err instanceof AesearchError && err.code === 'STORE_UNREACHABLE';
}
