/**
 * The collection in PostgreSQL: the catalogue (items, labels, thumbnails, model inputs, the change log),
 * the codes and pixel vectors with their HNSW indexes, and the trained models. Method names follow
 * `Catalogue`'s, but every method is async and every write is one transaction; many servers share one
 * store and see each other's changes at once.
 */
import type { Change, CollectionMeta, ItemPage, ItemRecord, NewItem } from '../../collection/catalogue.js';
import { createError } from '../../errors.js';
import type { Neighbours } from '../vector-index.js';
import { type PublishedBuild, readBuild, writeBuild } from './build-record.js';
import { lastRows, openPool, query, type StorePool, transaction } from './connect.js';
import { loadModel, type StoredModel, saveModel } from './models.js';
import {
  assertSchema,
  HALFVEC_MAX_DIMS,
  migrate,
  readSpaces,
  type SpaceParams,
  withIndexesDeferred,
} from './schema.js';
import { type PgSearchOptions, type Space, searchSelect, searchSettings, toNeighbours } from './search.js';
import { floatsOf } from './vectors.js';
import {
  defineLabels,
  deleteItems,
  insertItems,
  insertUnique,
  type PgNewItem,
  setMetaValue,
  updateCodes,
} from './writes.js';

interface ItemRow {
  id: number;
  source: string;
  root: string | null;
  label: number | null;
  bytes: number;
  sha256: string;
  mtime_ms: string | null;
  added_at: Date;
}

const ITEM_COLUMNS = 'id, source, root, label, bytes, sha256, mtime_ms, added_at';

function toRecord(row: ItemRow): ItemRecord {
  return {
    id: row.id,
    source: row.source,
    root: row.root,
    label: row.label,
    bytes: row.bytes,
    sha256: row.sha256,
    mtimeMs: row.mtime_ms === null ? null : Number(row.mtime_ms),
    addedAt: row.added_at.toISOString(),
  };
}

function asBytes(blob: Buffer): Uint8Array {
  return new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
}

/** The collection stored in one PostgreSQL database. */
export class PgStore {
  private constructor(
    private readonly store: StorePool,
    private current: SpaceParams,
  ) {}

  /**
   * Opens the store at `url` (a `postgres://` URL). With `migrate`, creates or upgrades the schema and
   * sizes its spaces first (what `aesearch index` does); without, only checks it (what `serve` does).
   * With `schema`, its tables live in that PostgreSQL schema (which must exist) instead of the
   * connection's search_path. Throws STORE_UNREACHABLE naming the host, STORE_SCHEMA when the schema is
   * absent or old.
   */
  static async open(
    url: string,
    options: { migrate?: SpaceParams; poolSize?: number; schema?: string } = {},
  ): Promise<PgStore> {
    const store = openPool(url, { max: options.poolSize, schema: options.schema });
    try {
      if (options.migrate) await migrate(store, options.migrate);
      return new PgStore(store, await assertSchema(store));
    } catch (err) {
      await store.pool.end();
      throw err;
    }
  }

  /** `host:port/database`, as errors name the store. */
  get where(): string {
    return this.store.where;
  }

  /** The spaces as last read; `refresh` picks up a rebuilt index or a new model. */
  get spaces(): SpaceParams {
    return this.current;
  }

  /** Re-reads the spaces (another process may have migrated the store to a new model). */
  async refresh(): Promise<SpaceParams> {
    this.current = (await readSpaces(this.store)) ?? this.current;
    return this.current;
  }

  /** What the collection is, or null before it was seeded. */
  async meta(): Promise<CollectionMeta | null> {
    return (await this.metaValue<CollectionMeta>('collection')) ?? null;
  }

  /** Records what the collection is (when it is seeded). */
  async setMeta(meta: CollectionMeta): Promise<void> {
    await this.setMetaValue('collection', meta);
  }

  /** Label names by label number (numbers are dense from 0). */
  async labelNames(): Promise<string[]> {
    const r = await query<{ name: string }>(this.store, 'SELECT name FROM aesearch_labels ORDER BY id');
    return r.rows.map((row) => row.name);
  }

  /** Number of live items. */
  async count(): Promise<number> {
    const r = await query<{ n: number }>(this.store, 'SELECT COUNT(*)::int AS n FROM aesearch_items');
    return r.rows[0]?.n ?? 0;
  }

  /** The item with `id`, or undefined. */
  async item(id: number): Promise<ItemRecord | undefined> {
    const r = await query<ItemRow>(this.store, `SELECT ${ITEM_COLUMNS} FROM aesearch_items WHERE id = $1`, [
      id,
    ]);
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  /** A page of items in id order, optionally of one label. */
  async items(options: { offset: number; limit: number; label?: number | null }): Promise<ItemPage> {
    const filtered = options.label !== undefined && options.label !== null;
    const where = filtered ? 'WHERE label = $1' : '';
    const params = filtered ? [options.label] : [];
    const n = params.length;
    const total = await query<{ n: number }>(
      this.store,
      `SELECT COUNT(*)::int AS n FROM aesearch_items ${where}`,
      params,
    );
    const rows = await query<ItemRow>(
      this.store,
      `SELECT ${ITEM_COLUMNS} FROM aesearch_items ${where} ORDER BY id LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params, options.limit, options.offset],
    );
    return { total: total.rows[0]?.n ?? 0, items: rows.rows.map(toRecord) };
  }

  /** Items per label number (unlabelled items under -1). */
  async countsByLabel(): Promise<Map<number, number>> {
    const r = await query<{ label: number | null; n: number }>(
      this.store,
      'SELECT label, COUNT(*)::int AS n FROM aesearch_items GROUP BY label',
    );
    return new Map(r.rows.map((row) => [row.label ?? -1, row.n]));
  }

  /** Every item added from folder `root`. */
  async itemsUnder(root: string): Promise<ItemRecord[]> {
    const r = await query<ItemRow>(
      this.store,
      `SELECT ${ITEM_COLUMNS} FROM aesearch_items WHERE root = $1 ORDER BY source`,
      [root],
    );
    return r.rows.map(toRecord);
  }

  /** An item whose bytes have this sha256, or undefined. */
  async findBySha256(sha256: string): Promise<ItemRecord | undefined> {
    const r = await query<ItemRow>(
      this.store,
      `SELECT ${ITEM_COLUMNS} FROM aesearch_items WHERE sha256 = $1 ORDER BY id LIMIT 1`,
      [sha256],
    );
    return r.rows[0] ? toRecord(r.rows[0]) : undefined;
  }

  /** The model input of item `id` (side x side x channels bytes), or undefined. */
  async input(id: number): Promise<Uint8Array | undefined> {
    const r = await query<{ input: Buffer }>(this.store, 'SELECT input FROM aesearch_items WHERE id = $1', [
      id,
    ]);
    return r.rows[0] ? asBytes(r.rows[0].input) : undefined;
  }

  /** The thumbnail of item `id`'s original, or undefined. */
  async thumbnail(id: number): Promise<{ bytes: Uint8Array; type: string } | undefined> {
    const r = await query<{ thumb: Buffer; thumb_type: string }>(
      this.store,
      'SELECT thumb, thumb_type FROM aesearch_items WHERE id = $1',
      [id],
    );
    const row = r.rows[0];
    return row ? { bytes: asBytes(row.thumb), type: row.thumb_type } : undefined;
  }

  /** The stored code of item `id`, or undefined when it has none. */
  async code(id: number): Promise<Float32Array | undefined> {
    const r = await query<{ code: number[] | null }>(
      this.store,
      'SELECT code::real[] AS code FROM aesearch_items WHERE id = $1',
      [id],
    );
    const code = r.rows[0]?.code;
    return code ? floatsOf(code) : undefined;
  }

  /** Weights hash of the model whose codes are stored, or null. */
  async codesModel(): Promise<string | null> {
    return (await this.metaValue<string>('codes_model')) ?? null;
  }

  /** Throws INDEX_MISMATCH naming the store when its codes were made by another model than `weightsHash`. */
  async assertModel(weightsHash: string): Promise<void> {
    const stored = await this.codesModel();
    if (stored !== weightsHash)
      throw createError('INDEX_MISMATCH', {
        file: `the PostgreSQL store at ${this.where}`,
        what: 'model',
        index: stored ?? 'none (no codes are stored)',
        current: weightsHash,
      });
  }

  /**
   * Adds `items` in one transaction, with their pixel vectors when the store has a pixel space, and
   * logs each in the change log; returns their ids in order.
   */
  async add(items: readonly PgNewItem[]): Promise<number[]> {
    if (items.length === 0) return [];
    const pixelDims = this.current.pixelDims;
    const withPixels = pixelDims !== null && pixelDims <= HALFVEC_MAX_DIMS;
    return transaction(this.store, (client) => insertItems(client, items, withPixels));
  }

  /**
   * Adds `items` with their codes (when given, under the store's model) in one transaction; an item whose
   * sha256 is already stored is not added and comes back as that item with `duplicate` true (checked under
   * a transaction lock, so two servers cannot add the same bytes twice).
   */
  async addUnique(
    items: readonly NewItem[],
    codes?: { model: string; codes: readonly Float32Array[] },
  ): Promise<{ id: number; duplicate: boolean }[]> {
    if (items.length === 0) return [];
    const pixelDims = this.current.pixelDims;
    const withPixels = pixelDims !== null && pixelDims <= HALFVEC_MAX_DIMS;
    const withCodes = items.map((item, i) => ({ ...item, code: codes?.codes[i] ?? null }));
    return transaction(this.store, (client) => insertUnique(client, withCodes, withPixels));
  }

  /** Defines the label names in order (label i is names[i]) before items with them are added. */
  async defineLabels(names: readonly string[]): Promise<void> {
    await transaction(this.store, (client) => defineLabels(client, names));
  }

  /** The records of those of `ids` that exist, in no particular order. */
  async records(ids: readonly number[]): Promise<ItemRecord[]> {
    if (ids.length === 0) return [];
    const r = await query<ItemRow>(
      this.store,
      `SELECT ${ITEM_COLUMNS} FROM aesearch_items WHERE id = ANY($1::int[])`,
      [ids],
    );
    return r.rows.map(toRecord);
  }

  /** The labels (-1 when none) of those of `ids` that exist. */
  async labelsOf(ids: readonly number[]): Promise<Map<number, number>> {
    const r = await query<{ id: number; label: number | null }>(
      this.store,
      'SELECT id, label FROM aesearch_items WHERE id = ANY($1::int[])',
      [ids],
    );
    return new Map(r.rows.map((row) => [row.id, row.label ?? -1]));
  }

  /** The stored codes of those of `ids` that have one. */
  async codes(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    const r = await query<{ id: number; code: number[] }>(
      this.store,
      'SELECT id, code::real[] AS code FROM aesearch_items WHERE id = ANY($1::int[]) AND code IS NOT NULL',
      [ids],
    );
    return new Map(r.rows.map((row) => [row.id, floatsOf(row.code)]));
  }

  /** Up to `limit` items without a code (added by a process on another model, or before a new one), by id. */
  async withoutCode(limit: number): Promise<{ id: number; input: Uint8Array }[]> {
    const r = await query<{ id: number; input: Buffer }>(
      this.store,
      'SELECT id, input FROM aesearch_items WHERE code IS NULL ORDER BY id LIMIT $1',
      [limit],
    );
    return r.rows.map((row) => ({ id: row.id, input: asBytes(row.input) }));
  }

  /** Forgets every stored code (they belong to a model being replaced). */
  async clearCodes(): Promise<void> {
    await transaction(this.store, async (client) => {
      await client.query('UPDATE aesearch_items SET code = NULL WHERE code IS NOT NULL');
      await client.query("DELETE FROM aesearch_meta WHERE key = 'codes_model'");
    });
  }

  /** The build the store serves (manifest, error distribution, map), or null before the first publish. */
  async build(): Promise<PublishedBuild | null> {
    return readBuild(await this.metaValue<unknown>('build'), this.where);
  }

  /** Records the build servers on this store serve; they pick it up without a restart. */
  async publishBuild(build: PublishedBuild): Promise<void> {
    await this.setMetaValue('build', writeBuild(build));
  }

  /** Removes the items with `ids` in one transaction; returns the ids that existed. */
  async remove(ids: readonly number[]): Promise<number[]> {
    return transaction(this.store, (client) => deleteItems(client, ids));
  }

  /**
   * Runs `work` (adding many items, storing many codes) with the HNSW indexes built once afterwards
   * instead of item by item; searches meanwhile are exact scans.
   */
  bulkLoad<T>(work: () => Promise<T>): Promise<T> {
    return withIndexesDeferred(this.store, work);
  }

  /** Stores the codes of `modelHash` for the given items in one transaction and records the model. */
  async setCodes(modelHash: string, rows: Iterable<readonly [number, Float32Array]>): Promise<void> {
    const list = [...rows];
    await transaction(this.store, (client) => updateCodes(client, modelHash, list));
  }

  /** The last change's sequence number (0 before any). */
  async lastSeq(): Promise<number> {
    const r = await query<{ seq: string }>(
      this.store,
      'SELECT COALESCE(MAX(seq), 0) AS seq FROM aesearch_changes',
    );
    return Number(r.rows[0]?.seq ?? 0);
  }

  /** Changes after `seq`, oldest first, at most `limit`. */
  async changesSince(seq: number, limit = 10_000): Promise<Change[]> {
    const r = await query<{ seq: string; item_id: number; op: 'add' | 'remove' }>(
      this.store,
      'SELECT seq, item_id, op FROM aesearch_changes WHERE seq > $1 ORDER BY seq LIMIT $2',
      [seq, limit],
    );
    return r.rows.map((row) => ({ seq: Number(row.seq), itemId: row.item_id, op: row.op }));
  }

  /** Ids of every live item, ascending. */
  async ids(): Promise<Int32Array> {
    const r = await query<{ id: number }>(this.store, 'SELECT id FROM aesearch_items ORDER BY id');
    return Int32Array.from(r.rows, (row) => row.id);
  }

  /**
   * The k nearest items to `vector` in `space`, nearest first, by the space's HNSW index: true L2, or
   * 1 - cosine for a cosine code space. Throws SPACE_UNAVAILABLE when the store has no pixel space,
   * PIXEL_SPACE_TOO_WIDE when it is wider than pgvector indexes, BAD_PARAMETER for a vector of the
   * wrong length.
   */
  async search(
    space: Space,
    vector: Float32Array | readonly number[],
    k: number,
    options: PgSearchOptions,
  ): Promise<Neighbours> {
    const n = Math.max(0, Math.floor(k));
    this.checkVector(space, vector);
    if (n === 0) return { ids: [], distances: [] };
    const select = searchSelect(space, this.current.metric, vector, n, options.labels);
    const rows = await lastRows<{ id: number; distance: number }>(
      this.store,
      `${searchSettings(n, options, this.store.schema)} ${select}`,
    );
    return toNeighbours(rows);
  }

  /** The planner's plan (EXPLAIN FORMAT JSON) for `search` with the same settings, to check index use. */
  async explainSearch(
    space: Space,
    vector: Float32Array | readonly number[],
    k: number,
    options: PgSearchOptions,
  ): Promise<unknown> {
    this.checkVector(space, vector);
    const select = searchSelect(space, this.current.metric, vector, k, options.labels);
    const rows = await lastRows<{ 'QUERY PLAN': unknown }>(
      this.store,
      `${searchSettings(k, options, this.store.schema)} EXPLAIN (FORMAT JSON) ${select}`,
    );
    return rows[0]?.['QUERY PLAN'];
  }

  private checkVector(space: Space, vector: Float32Array | readonly number[]): void {
    const dims = space === 'code' ? this.current.codeDims : this.current.pixelDims;
    if (dims === null) throw createError('SPACE_UNAVAILABLE', { space });
    if (space === 'pixel' && dims > HALFVEC_MAX_DIMS)
      throw createError('PIXEL_SPACE_TOO_WIDE', { dims, limit: HALFVEC_MAX_DIMS.toLocaleString('en-US') });
    if (vector.length !== dims)
      throw createError('BAD_PARAMETER', {
        name: `the ${space} vector`,
        expected: `${dims} numbers`,
        got: `${vector.length}`,
      });
  }

  /** Saves a trained model (manifest and files) so that servers on this store need no local files. */
  async saveModel(model: StoredModel): Promise<void> {
    await saveModel(this.store, model);
  }

  /** Loads the model with `weightsHash`, by default the one whose codes are stored; throws NO_MODEL. */
  async loadModel(weightsHash?: string): Promise<StoredModel> {
    const hash = weightsHash ?? (await this.codesModel());
    if (hash === null) throw createError('NO_MODEL', { where: `the PostgreSQL store at ${this.where}` });
    return loadModel(this.store, hash);
  }

  /** Closes every connection. */
  async close(): Promise<void> {
    await this.store.pool.end();
  }

  private async metaValue<T>(key: string): Promise<T | undefined> {
    const r = await query<{ value: T }>(this.store, 'SELECT value FROM aesearch_meta WHERE key = $1', [key]);
    return r.rows[0]?.value;
  }

  private async setMetaValue(key: string, value: unknown): Promise<void> {
    await transaction(this.store, (client) => setMetaValue(client, key, value));
  }
}
