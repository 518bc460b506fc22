/**
 * The PostgreSQL store's writes, each on a client inside the caller's transaction: adding items (with
 * their labels, pixel vectors and change-log entries), removing them, storing codes, setting meta values.
 */
import type pg from 'pg';
import type { NewItem } from '../../collection/catalogue.js';

/** An item for the PostgreSQL store: a catalogue item with its code under the store's model, when known. */
export type PgNewItem = NewItem & { readonly code?: Float32Array | null };

import { toUnitFloat } from '../../image/preprocess.js';
import { vectorParam } from './vectors.js';

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Inserts `items` (with pixel vectors when `withPixels`) and logs each as added; returns their ids in
 * order. Explicit ids (a seeded dataset) move the id sequence past them.
 */
export async function insertItems(
  client: pg.ClientBase,
  items: readonly PgNewItem[],
  withPixels: boolean,
): Promise<number[]> {
  const labels = new Map<string, number>();
  for (const name of new Set(items.flatMap((i) => (i.labelName === null ? [] : [i.labelName])))) {
    labels.set(name, await labelId(client, name));
  }
  const inserted = await client.query<{ id: number }>(
    `INSERT INTO aesearch_items (id, source, root, label, bytes, sha256, mtime_ms, added_at, input, thumb, thumb_type, code, pixel)
       SELECT COALESCE(u.id, nextval(pg_get_serial_sequence('aesearch_items', 'id'))), u.source, u.root, u.label,
              u.bytes, u.sha256, u.mtime_ms, now(), u.input, u.thumb, u.thumb_type, u.code::vector, u.pixel::halfvec
       FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::bigint[],
                   $8::bytea[], $9::bytea[], $10::text[], $11::text[], $12::text[])
         AS u(id, source, root, label, bytes, sha256, mtime_ms, input, thumb, thumb_type, code, pixel)
       RETURNING id`,
    [
      items.map((i) => i.id ?? null),
      items.map((i) => i.source),
      items.map((i) => i.root),
      items.map((i) => (i.labelName === null ? null : (labels.get(i.labelName) ?? null))),
      items.map((i) => i.bytes),
      items.map((i) => i.sha256),
      items.map((i) => (i.mtimeMs === null ? null : Math.round(i.mtimeMs))),
      items.map((i) => asBuffer(i.input)),
      items.map((i) => asBuffer(i.thumb)),
      items.map((i) => i.thumbType),
      items.map((i) => (i.code ? vectorParam(i.code) : null)),
      items.map((i) => (withPixels ? vectorParam(toUnitFloat(i.input)) : null)),
    ],
  );
  const ids = inserted.rows.map((r) => r.id);
  const explicit = items.reduce((max, i) => Math.max(max, i.id ?? -1), -1);
  // Explicit ids (a seeded dataset) bypass the identity sequence; move it past them.
  if (explicit >= 0)
    await client.query(
      `SELECT setval(pg_get_serial_sequence('aesearch_items', 'id'),
                       GREATEST($1::bigint, (SELECT last_value FROM aesearch_items_id_seq)))`,
      [explicit],
    );
  await client.query("INSERT INTO aesearch_changes (item_id, op) SELECT unnest($1::int[]), 'add'", [ids]);
  return ids;
}

/** A transaction lock taken by every unique add, so two writers cannot both miss each other's copy. */
const ADD_LOCK = 0x0ae5ea7d;

/**
 * Inserts those of `items` whose sha256 no stored item (nor an earlier one of `items`) has, under a
 * transaction lock; returns, in order, each new item's id or the id of the item it duplicates.
 */
export async function insertUnique(
  client: pg.ClientBase,
  items: readonly PgNewItem[],
  withPixels: boolean,
): Promise<{ id: number; duplicate: boolean }[]> {
  await client.query('SELECT pg_advisory_xact_lock($1)', [ADD_LOCK]);
  const found = await client.query<{ sha256: string; id: number }>(
    'SELECT DISTINCT ON (sha256) sha256, id FROM aesearch_items WHERE sha256 = ANY($1::text[]) ORDER BY sha256, id',
    [items.map((i) => i.sha256)],
  );
  const existing = new Map(found.rows.map((r) => [r.sha256, r.id]));
  const fresh: PgNewItem[] = [];
  const freshIndex = new Map<string, number>();
  // Each item: a stored id (duplicate), or the position of the fresh item it is (or copies).
  const plan = items.map((item): { stored: number } | { fresh: number; duplicate: boolean } => {
    const stored = existing.get(item.sha256);
    if (stored !== undefined) return { stored };
    const earlier = freshIndex.get(item.sha256);
    if (earlier !== undefined) return { fresh: earlier, duplicate: true };
    freshIndex.set(item.sha256, fresh.length);
    fresh.push(item);
    return { fresh: fresh.length - 1, duplicate: false };
  });
  const ids = await insertItems(client, fresh, withPixels);
  return plan.map((p) =>
    'stored' in p ? { id: p.stored, duplicate: true } : { id: ids[p.fresh] ?? -1, duplicate: p.duplicate },
  );
}

/** Defines label names in order, so that label i is names[i] in an empty store. */
export async function defineLabels(client: pg.ClientBase, names: readonly string[]): Promise<void> {
  for (const name of names) await labelId(client, name);
}

/** Deletes the items with `ids` and logs each that existed as removed; returns those ids. */
export async function deleteItems(client: pg.ClientBase, ids: readonly number[]): Promise<number[]> {
  const gone = await client.query<{ id: number }>(
    'DELETE FROM aesearch_items WHERE id = ANY($1::int[]) RETURNING id',
    [ids],
  );
  const removed = new Set(gone.rows.map((r) => r.id));
  const order = ids.filter((id, i) => removed.has(id) && ids.indexOf(id) === i);
  await client.query("INSERT INTO aesearch_changes (item_id, op) SELECT unnest($1::int[]), 'remove'", [
    order,
  ]);
  return order;
}

/** Stores codes by item id and records `modelHash` as the model they came from. */
export async function updateCodes(
  client: pg.ClientBase,
  modelHash: string,
  rows: readonly (readonly [number, Float32Array])[],
): Promise<void> {
  await client.query(
    `UPDATE aesearch_items AS i SET code = u.code::vector
     FROM unnest($1::int[], $2::text[]) AS u(id, code) WHERE i.id = u.id`,
    [rows.map(([id]) => id), rows.map(([, code]) => vectorParam(code))],
  );
  await setMetaValue(client, 'codes_model', modelHash);
}

/** Sets meta `key` to `value` (as JSON). */
export async function setMetaValue(client: pg.ClientBase, key: string, value: unknown): Promise<void> {
  await client.query(
    `INSERT INTO aesearch_meta (key, value) VALUES ($1, $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [key, JSON.stringify(value)],
  );
}

/** The label number of `name`, made when new (dense from 0; the lock keeps two adders from racing). */
async function labelId(client: pg.ClientBase, name: string): Promise<number> {
  const find = () =>
    client
      .query<{ id: number }>('SELECT id FROM aesearch_labels WHERE name = $1', [name])
      .then((r) => r.rows[0]?.id);
  const found = await find();
  if (found !== undefined) return found;
  await client.query('LOCK TABLE aesearch_labels IN SHARE ROW EXCLUSIVE MODE');
  const again = await find();
  if (again !== undefined) return again;
  const made = await client.query<{ id: number }>(
    'INSERT INTO aesearch_labels (id, name) SELECT COALESCE(MAX(id) + 1, 0), $1 FROM aesearch_labels RETURNING id',
    [name],
  );
  return made.rows[0]?.id ?? 0;
}
