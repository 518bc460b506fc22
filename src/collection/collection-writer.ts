/**
 * What adding, removing and syncing need of a collection, whichever store holds it: the catalogue file
 * (synchronous SQLite) or PostgreSQL (asynchronous). Each call is one transaction.
 */
import type { ItemRecord, NewItem } from './catalogue.js';

/** A value now or later: the catalogue answers at once, PostgreSQL after a round trip. */
export type Awaitable<T> = T | Promise<T>;

/** Writes to one collection. */
export interface CollectionWriter {
  /** An item whose bytes have this sha256, or undefined. */
  findBySha256(sha256: string): Awaitable<ItemRecord | undefined>;
  /**
   * Adds `items` with their codes under `codes.model` (one per item, in order) when given; an item
   * whose sha256 is already stored comes back as that item with `duplicate` true.
   */
  add(
    items: readonly NewItem[],
    codes?: { model: string; codes: readonly Float32Array[] },
  ): Awaitable<{ id: number; duplicate: boolean }[]>;
  /** Removes the items with `ids`; returns the ids that existed. */
  remove(ids: readonly number[]): Awaitable<number[]>;
  /** Every item added from folder `root`. */
  itemsUnder(root: string): Awaitable<ItemRecord[]>;
}
