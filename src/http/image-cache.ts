/**
 * A least-recently-used cache of encoded item images, keyed by dataset, id and size, bounded by the bytes
 * it holds. Values are cached as promises, so concurrent misses of one key share one encode; a value
 * counts once it has arrived.
 */

/** Bytes counted per entry besides its value: the key, the map's entry, the promise. */
const ENTRY_OVERHEAD_BYTES = 256;

interface Entry<T> {
  readonly value: Promise<T>;
  /** Counted bytes; undefined while the value is being made. */
  bytes?: number;
}

/** Caches values made by async functions within `maxBytes` (each value's size given by `sizeOf`). */
export class LruCache<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private total = 0;

  constructor(
    readonly maxBytes: number,
    private readonly sizeOf: (value: T) => number,
  ) {}

  /** The cached value of `key`, or `make()`'s (cached unless it rejects or is larger than the cache). */
  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const entry: Entry<T> = { value: make() };
    this.entries.set(key, entry);
    entry.value.then(
      (value) => {
        if (this.entries.get(key) !== entry) return;
        entry.bytes = this.sizeOf(value) + ENTRY_OVERHEAD_BYTES + key.length;
        this.total += entry.bytes;
        this.evict();
      },
      () => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      },
    );
    return entry.value;
  }

  /** Drops the least recently used values until the total fits `maxBytes`. */
  private evict(): void {
    for (const [key, entry] of this.entries) {
      if (this.total <= this.maxBytes) break;
      if (entry.bytes === undefined) continue;
      this.entries.delete(key);
      this.total -= entry.bytes;
    }
  }

  /** Number of entries (including encodes in flight). */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held by the values that have arrived, with their overhead. */
  get bytes(): number {
    return this.total;
  }
}
