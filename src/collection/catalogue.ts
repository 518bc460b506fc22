/**
 * The collection's catalogue: one SQLite database (better-sqlite3, WAL mode) in the index folder holding
 * every item (source, label, size, sha256, when added), the model's input pixels and a thumbnail of the
 * original, and each item's code under the current model. The HNSW files are a cache of these codes and
 * can always be rebuilt from here. Every change is one transaction and appends to `changes`, a log that
 * servers follow to add and remove items in place.
 */
import { basename } from 'node:path';
import Database from 'better-sqlite3';
import { createError } from '../errors.js';

/** File name of the catalogue inside the index folder. */
export const CATALOGUE_FILE = 'collection.db';

/** Schema version this code reads and writes. */
const SCHEMA_VERSION = 1;

/** What the collection is and how its images become model input. */
export interface CollectionMeta {
  /** `fashion-mnist`, `mnist`, or the seeding folder's path. */
  readonly name: string;
  readonly kind: 'idx' | 'folder';
  /** Where the seed came from, in words. */
  readonly origin: string;
  /** Model input side in px. */
  readonly side: number;
  readonly channels: 1 | 3;
  /** Invert images with a light border (grayscale datasets of light things on black). */
  readonly invertLightBorder: boolean;
}

/** One item as listed. */
export interface ItemRecord {
  readonly id: number;
  /** Path relative to the folder it was added from, the upload's file name, or `<dataset>/<split>/<n>`. */
  readonly source: string;
  /** Absolute folder the item was added from (what `sync DIR` manages), or null. */
  readonly root: string | null;
  readonly label: number | null;
  readonly bytes: number;
  readonly sha256: string;
  /** The source file's modification time in ms, when it came from a file. */
  readonly mtimeMs: number | null;
  /** ISO time the item was added. */
  readonly addedAt: string;
}

/** An item to add. */
export interface NewItem {
  /** Explicit id (only when seeding a dataset whose ids are its positions). */
  readonly id?: number;
  readonly source: string;
  readonly root: string | null;
  readonly labelName: string | null;
  readonly bytes: number;
  readonly sha256: string;
  readonly mtimeMs: number | null;
  /** Model input, side x side x channels bytes. */
  readonly input: Uint8Array;
  readonly thumb: Uint8Array;
  readonly thumbType: string;
}

/** One entry of the change log. */
export interface Change {
  readonly seq: number;
  readonly itemId: number;
  readonly op: 'add' | 'remove';
}

/** A page of items. */
export interface ItemPage {
  readonly total: number;
  readonly items: ItemRecord[];
}

interface ItemRow {
  id: number;
  source: string;
  root: string | null;
  label: number | null;
  bytes: number;
  sha256: string;
  mtime_ms: number | null;
  added_at: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS labels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  source TEXT NOT NULL,
  root TEXT,
  label INTEGER REFERENCES labels(id),
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  mtime_ms INTEGER,
  added_at TEXT NOT NULL,
  input BLOB NOT NULL,
  thumb BLOB NOT NULL,
  thumb_type TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS items_sha256 ON items(sha256);
CREATE INDEX IF NOT EXISTS items_root ON items(root, source);
CREATE INDEX IF NOT EXISTS items_label ON items(label, id);
CREATE TABLE IF NOT EXISTS codes (
  model TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  code BLOB NOT NULL,
  PRIMARY KEY (model, item_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  item_id INTEGER NOT NULL,
  op TEXT NOT NULL CHECK (op IN ('add', 'remove'))
);
`;

const ITEM_COLUMNS = 'id, source, root, label, bytes, sha256, mtime_ms, added_at';

function toRecord(row: ItemRow): ItemRecord {
  return {
    id: row.id,
    source: row.source,
    root: row.root,
    label: row.label,
    bytes: row.bytes,
    sha256: row.sha256,
    mtimeMs: row.mtime_ms,
    addedAt: row.added_at,
  };
}

function asBytes(blob: Buffer): Uint8Array {
  return new Uint8Array(blob.buffer, blob.byteOffset, blob.byteLength);
}

function codeBlob(code: Float32Array): Buffer {
  return Buffer.from(code.buffer, code.byteOffset, code.byteLength);
}

function asFloats(blob: Buffer): Float32Array {
  return new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
}

/** The catalogue of one collection; every method is synchronous and every write one transaction. */
export class Catalogue {
  private constructor(
    private readonly db: Database.Database,
    readonly file: string,
  ) {}

  /** The catalogue's file name (what the index manifest records). */
  get name(): string {
    return basename(this.file);
  }

  /**
   * Opens (with `create`, creates) the catalogue at `file`. Throws NO_COLLECTION when it is absent and
   * not to be created, COLLECTION_CORRUPT when it is not a catalogue this version reads.
   */
  static open(file: string, options: { create?: boolean; readonly?: boolean } = {}): Catalogue {
    let db: Database.Database;
    try {
      db = new Database(file, { fileMustExist: !options.create, readonly: options.readonly ?? false });
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'SQLITE_CANTOPEN') throw createError('NO_COLLECTION', { where: file });
      throw createError('COLLECTION_CORRUPT', { where: file, why: (err as Error).message });
    }
    try {
      db.pragma('busy_timeout = 5000');
      if (!options.readonly) {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.exec(SCHEMA);
        const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
        if (version === undefined)
          db.prepare("INSERT INTO meta (key, value) VALUES ('schema', ?)").run(String(SCHEMA_VERSION));
      }
      const version = db.prepare("SELECT value FROM meta WHERE key = 'schema'").pluck().get();
      if (version !== String(SCHEMA_VERSION))
        throw new Error(`schema version ${String(version)}, this aesearch reads ${SCHEMA_VERSION}`);
    } catch (err) {
      db.close();
      throw createError('COLLECTION_CORRUPT', { where: file, why: (err as Error).message });
    }
    return new Catalogue(db, file);
  }

  /** What the collection is, or null before it was seeded. */
  meta(): CollectionMeta | null {
    const value = this.db.prepare("SELECT value FROM meta WHERE key = 'collection'").pluck().get();
    return typeof value === 'string' ? (JSON.parse(value) as CollectionMeta) : null;
  }

  /** Records what the collection is (when it is seeded). */
  setMeta(meta: CollectionMeta): void {
    this.db
      .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('collection', ?)")
      .run(JSON.stringify(meta));
  }

  /**
   * The fingerprint of the dataset the collection was seeded from, and whether the collection is still
   * exactly that dataset (no change since); null for folders.
   */
  seed(): { fingerprint: string; unchanged: boolean } | null {
    const value = this.db.prepare("SELECT value FROM meta WHERE key = 'seed'").pluck().get();
    if (typeof value !== 'string') return null;
    const seed = JSON.parse(value) as { fingerprint: string; seq: number };
    return { fingerprint: seed.fingerprint, unchanged: seed.seq === this.lastSeq() };
  }

  /** Records that the collection is, as of now, exactly the dataset with `fingerprint`. */
  setSeedFingerprint(fingerprint: string): void {
    this.db
      .prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('seed', ?)")
      .run(JSON.stringify({ fingerprint, seq: this.lastSeq() }));
  }

  /** Label names by label number (numbers are dense from 0). */
  labelNames(): string[] {
    return this.db.prepare('SELECT name FROM labels ORDER BY id').pluck().all() as string[];
  }

  /** Gives `names` the label numbers 0, 1, ... in order (a dataset's class numbers); call on an empty catalogue. */
  defineLabels(names: readonly string[]): void {
    const insert = this.db.prepare('INSERT OR IGNORE INTO labels (id, name) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [id, name] of names.entries()) insert.run(id, name);
    })();
  }

  /** The label number of `name`, made when new. */
  private labelId(name: string): number {
    const found = this.db.prepare('SELECT id FROM labels WHERE name = ?').pluck().get(name);
    if (typeof found === 'number') return found;
    const next = this.db.prepare('SELECT COUNT(*) FROM labels').pluck().get() as number;
    this.db.prepare('INSERT INTO labels (id, name) VALUES (?, ?)').run(next, name);
    return next;
  }

  /** Number of live items. */
  count(): number {
    return this.db.prepare('SELECT COUNT(*) FROM items').pluck().get() as number;
  }

  /** The item with `id`, or undefined. */
  item(id: number): ItemRecord | undefined {
    const row = this.db.prepare(`SELECT ${ITEM_COLUMNS} FROM items WHERE id = ?`).get(id) as
      | ItemRow
      | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** A page of items in id order, optionally of one label. */
  items(options: { offset: number; limit: number; label?: number | null }): ItemPage {
    const where = options.label === undefined || options.label === null ? '' : 'WHERE label = @label';
    const params = { label: options.label ?? null, limit: options.limit, offset: options.offset };
    const total = this.db.prepare(`SELECT COUNT(*) FROM items ${where}`).pluck().get(params) as number;
    const rows = this.db
      .prepare(`SELECT ${ITEM_COLUMNS} FROM items ${where} ORDER BY id LIMIT @limit OFFSET @offset`)
      .all(params) as ItemRow[];
    return { total, items: rows.map(toRecord) };
  }

  /** Items per label number (unlabelled items under -1). */
  countsByLabel(): Map<number, number> {
    const rows = this.db.prepare('SELECT label, COUNT(*) AS n FROM items GROUP BY label').all() as {
      label: number | null;
      n: number;
    }[];
    return new Map(rows.map((r) => [r.label ?? -1, r.n]));
  }

  /** Every item added from folder `root`. */
  itemsUnder(root: string): ItemRecord[] {
    const rows = this.db
      .prepare(`SELECT ${ITEM_COLUMNS} FROM items WHERE root = ? ORDER BY source`)
      .all(root) as ItemRow[];
    return rows.map(toRecord);
  }

  /** An item whose bytes have this sha256, or undefined. */
  findBySha256(sha256: string): ItemRecord | undefined {
    const row = this.db
      .prepare(`SELECT ${ITEM_COLUMNS} FROM items WHERE sha256 = ? ORDER BY id LIMIT 1`)
      .get(sha256) as ItemRow | undefined;
    return row ? toRecord(row) : undefined;
  }

  /** The model input of item `id` (side x side x channels bytes), or undefined. */
  input(id: number): Uint8Array | undefined {
    const blob = this.db.prepare('SELECT input FROM items WHERE id = ?').pluck().get(id);
    return blob instanceof Buffer ? asBytes(blob) : undefined;
  }

  /** The thumbnail of item `id`'s original, or undefined. */
  thumbnail(id: number): { bytes: Uint8Array; type: string } | undefined {
    const row = this.db.prepare('SELECT thumb, thumb_type FROM items WHERE id = ?').get(id) as
      | { thumb: Buffer; thumb_type: string }
      | undefined;
    return row ? { bytes: asBytes(row.thumb), type: row.thumb_type } : undefined;
  }

  /**
   * Adds `items` in one transaction, with their codes under model `codes.model` when given (one per item,
   * in order). An item whose sha256 an item already has is not added: its entry names that item with
   * `duplicate` true (checked inside the transaction, so two writers cannot add the same bytes twice).
   */
  add(
    items: readonly NewItem[],
    codes?: { model: string; codes: readonly Float32Array[] },
    options: { unique?: boolean } = {},
  ): { id: number; duplicate: boolean }[] {
    const unique = options.unique ?? true;
    const insert = this.db.prepare(
      `INSERT INTO items (id, source, root, label, bytes, sha256, mtime_ms, added_at, input, thumb, thumb_type)
       VALUES (@id, @source, @root, @label, @bytes, @sha256, @mtimeMs, @addedAt, @input, @thumb, @thumbType)`,
    );
    const log = this.db.prepare("INSERT INTO changes (item_id, op) VALUES (?, 'add')");
    const putCode = this.db.prepare('INSERT OR REPLACE INTO codes (model, item_id, code) VALUES (?, ?, ?)');
    const run = this.db.transaction((batch: readonly NewItem[]) => {
      const addedAt = new Date().toISOString();
      return batch.map((item, i) => {
        const existing = unique ? this.findBySha256(item.sha256) : undefined;
        if (existing) return { id: existing.id, duplicate: true };
        const result = insert.run({
          id: item.id ?? null,
          source: item.source,
          root: item.root,
          label: item.labelName === null ? null : this.labelId(item.labelName),
          bytes: item.bytes,
          sha256: item.sha256,
          mtimeMs: item.mtimeMs === null ? null : Math.round(item.mtimeMs),
          addedAt,
          input: Buffer.from(item.input.buffer, item.input.byteOffset, item.input.byteLength),
          thumb: Buffer.from(item.thumb.buffer, item.thumb.byteOffset, item.thumb.byteLength),
          thumbType: item.thumbType,
        });
        const id = Number(result.lastInsertRowid);
        log.run(id);
        const code = codes?.codes[i];
        if (codes && code) putCode.run(codes.model, id, codeBlob(code));
        return { id, duplicate: false };
      });
    });
    return run(items);
  }

  /** Removes the items with `ids` (and their codes) in one transaction; returns the ids that existed. */
  remove(ids: readonly number[]): number[] {
    const del = this.db.prepare('DELETE FROM items WHERE id = ?');
    const delCodes = this.db.prepare('DELETE FROM codes WHERE item_id = ?');
    const log = this.db.prepare("INSERT INTO changes (item_id, op) VALUES (?, 'remove')");
    const run = this.db.transaction((list: readonly number[]) =>
      list.filter((id) => {
        if (del.run(id).changes === 0) return false;
        delCodes.run(id);
        log.run(id);
        return true;
      }),
    );
    return run(ids);
  }

  /** The code of item `id` under model `model` (its weights hash), or undefined when none is stored. */
  code(model: string, id: number): Float32Array | undefined {
    const blob = this.db
      .prepare('SELECT code FROM codes WHERE model = ? AND item_id = ?')
      .pluck()
      .get(model, id);
    return blob instanceof Buffer ? asFloats(blob) : undefined;
  }

  /**
   * Stores codes under model `model` (its weights hash) in one transaction. Codes are kept per model, so a
   * build that fails half-way leaves the codes of the model in use untouched.
   */
  setCodes(model: string, rows: Iterable<readonly [number, Float32Array]>): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO codes (model, item_id, code) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const [id, code] of rows) put.run(model, id, codeBlob(code));
    })();
  }

  /** Drops the codes of every model but `keep` (after a build for `keep` is in place). */
  dropCodesExcept(keep: string): void {
    this.db.prepare('DELETE FROM codes WHERE model <> ?').run(keep);
  }

  /** The codes of model `model` for items 0..count-1, in id order; undefined when one is missing. */
  codesInOrder(model: string, count: number): Float32Array | undefined {
    const rows = this.db
      .prepare('SELECT item_id, code FROM codes WHERE model = ? AND item_id < ? ORDER BY item_id')
      .all(model, count) as { item_id: number; code: Buffer }[];
    if (rows.length !== count || count === 0) return undefined;
    const dims = (rows[0]?.code.byteLength ?? 0) / 4;
    const out = new Float32Array(count * dims);
    for (const [i, row] of rows.entries()) {
      if (row.item_id !== i) return undefined;
      out.set(asFloats(row.code), i * dims);
    }
    return out;
  }

  /** The last change's sequence number (0 before any). */
  lastSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) FROM changes').pluck().get() as number) ?? 0;
  }

  /** Changes after `seq`, oldest first, at most `limit`. */
  changesSince(seq: number, limit = 10_000): Change[] {
    const rows = this.db
      .prepare('SELECT seq, item_id, op FROM changes WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(seq, limit) as { seq: number; item_id: number; op: 'add' | 'remove' }[];
    return rows.map((r) => ({ seq: r.seq, itemId: r.item_id, op: r.op }));
  }

  /** Each live item's label number (-1 when it has none), by id. */
  labelsById(): Map<number, number> {
    const rows = this.db.prepare('SELECT id, label FROM items').all() as {
      id: number;
      label: number | null;
    }[];
    return new Map(rows.map((r) => [r.id, r.label ?? -1]));
  }

  /** Ids of every live item, ascending. */
  ids(): Int32Array {
    return Int32Array.from(this.db.prepare('SELECT id FROM items ORDER BY id').pluck().all() as number[]);
  }

  /**
   * The live items in id order, `batch` at a time: ids, labels (-1 when none) and the model inputs
   * concatenated. Pages by id, so items added meanwhile with higher ids are included and removed ones
   * are not; callers that need one fixed snapshot hold a lock on the folder.
   */
  *inputBatches(batch: number): Generator<{ ids: Int32Array; labels: Int32Array; inputs: Uint8Array }> {
    const select = this.db.prepare('SELECT id, label, input FROM items WHERE id > ? ORDER BY id LIMIT ?');
    let after = -1;
    for (;;) {
      const rows = select.all(after, batch) as { id: number; label: number | null; input: Buffer }[];
      if (rows.length === 0) return;
      const size = rows[0]?.input.byteLength ?? 0;
      const inputs = new Uint8Array(rows.length * size);
      rows.forEach((r, i) => {
        inputs.set(r.input, i * size);
      });
      yield {
        ids: Int32Array.from(rows, (r) => r.id),
        labels: Int32Array.from(rows, (r) => r.label ?? -1),
        inputs,
      };
      after = rows[rows.length - 1]?.id ?? after;
    }
  }

  /** Closes the database. */
  close(): void {
    this.db.close();
  }
}
