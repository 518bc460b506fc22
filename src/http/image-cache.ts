/** A small least-recently-used cache of encoded item images, keyed by dataset, id and size. */

/** Caches up to `maxEntries` values made by async functions; concurrent misses share one call. */
export class LruCache<T> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(readonly maxEntries = 2000) {}

  /** The cached value of `key`, or `make()`'s (which is cached unless it rejects). */
  get(key: string, make: () => Promise<T>): Promise<T> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit;
    }
    const made = make();
    this.entries.set(key, made);
    made.catch(() => {
      if (this.entries.get(key) === made) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    return made;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.entries.size;
  }
}
