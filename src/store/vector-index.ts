/**
 * A wrapper around hnswlib-node's HNSW index that speaks Float32Arrays, reports true distances
 * (hnswlib's l2 is squared), clamps k to the item count, and saves through a temp file and rename.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import hnswlib from 'hnswlib-node';
import { createError } from '../errors.js';
import { fsyncPath, tempPathFor } from '../util/atomic-fs.js';

const { HierarchicalNSW } = hnswlib;

/** Distance metrics: `l2` (Euclidean) or `cosine` (1 - cosine similarity). */
export const METRICS = ['l2', 'cosine'] as const;
export type Metric = (typeof METRICS)[number];

/** HNSW parameters. */
export interface HnswParams {
  /** Links per node. */
  readonly m: number;
  /** Candidate list size while building. */
  readonly efConstruction: number;
  /** Candidate list size while searching (raised to k when smaller). */
  readonly efSearch: number;
  readonly seed: number;
}

/** Defaults picked from the measured recall curve (see docs/benchmarks.md, "Speed"). */
export const DEFAULT_HNSW: HnswParams = Object.freeze({
  m: 16,
  efConstruction: 100,
  efSearch: 64,
  seed: 100,
});

/** Nearest neighbours, nearest first. */
export interface Neighbours {
  readonly ids: number[];
  readonly distances: number[];
}

/** Points added between progress callbacks (and event-loop yields) during a build. */
const PROGRESS_EVERY = 2000;

/** hnswlib-node takes plain arrays; a sized loop is ~20x faster than Array.from on a Float32Array (784-d). */
function toArray(vector: Float32Array | readonly number[]): number[] {
  const out = new Array<number>(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i] ?? 0;
  return out;
}

/** Share of slots added when an index that is full takes one more item. */
const GROWTH = 0.25;

/**
 * An HNSW index over fixed-size float vectors, each under an id (a collection item's id, or its position
 * when built without ids). Items can be added and removed in place: a removed item is marked deleted and
 * its slot taken by the next item added.
 */
export class VectorIndex {
  private disposed = false;

  private constructor(
    private readonly hnsw: InstanceType<typeof HierarchicalNSW>,
    readonly dims: number,
    readonly metric: Metric,
    private live: number,
    private efSearch: number,
  ) {}

  /** Number of items searchable (added and not removed). */
  get count(): number {
    return this.live;
  }

  /** Slots marked deleted and not yet reused: they cost memory and some search time until reclaimed. */
  get deletedSlots(): number {
    return this.hnsw.getCurrentCount() - this.live;
  }

  /** Adds (or replaces) the vector of item `id`, growing the index when it is full. */
  add(id: number, vector: Float32Array): void {
    if (this.disposed) throw new Error('add to a disposed vector index');
    const known = this.has(id);
    if (!known && this.deletedSlots === 0 && this.hnsw.getCurrentCount() >= this.hnsw.getMaxElements())
      this.hnsw.resizeIndex(Math.ceil(this.hnsw.getMaxElements() * (1 + GROWTH)) + 1);
    this.hnsw.addPoint(toArray(vector), id, !known);
    if (!known) this.live++;
  }

  /** Marks item `id` deleted; false when it is not in the index. */
  remove(id: number): boolean {
    if (this.disposed) throw new Error('remove from a disposed vector index');
    try {
      this.hnsw.markDelete(id);
    } catch {
      return false; // unknown or already deleted: hnswlib throws "Label not found" / "already deleted"
    }
    this.live--;
    return true;
  }

  private has(id: number): boolean {
    try {
      this.hnsw.getPoint(id);
      return true;
    } catch {
      return false;
    }
  }

  /** Sets the search candidate list size (raised to k per query when smaller). */
  setEf(ef: number): void {
    this.efSearch = ef;
    this.hnsw.setEf(ef);
  }

  /** Builds an index of `vectors` (count x dims, row-major) under `ids` (default 0..count-1). */
  static async build(
    vectors: Float32Array,
    dims: number,
    metric: Metric,
    params: HnswParams,
    onProgress?: (done: number) => void,
    ids?: Int32Array,
  ): Promise<VectorIndex> {
    const count = vectors.length / dims;
    const hnsw = new HierarchicalNSW(metric, dims);
    hnsw.initIndex({
      maxElements: Math.max(count, 1),
      m: params.m,
      efConstruction: params.efConstruction,
      randomSeed: params.seed,
      allowReplaceDeleted: true,
    });
    for (let i = 0; i < count; i++) {
      hnsw.addPoint(toArray(vectors.subarray(i * dims, (i + 1) * dims)), ids?.[i] ?? i);
      if ((i + 1) % PROGRESS_EVERY === 0 || i + 1 === count) {
        onProgress?.(i + 1);
        await new Promise((r) => setImmediate(r));
      }
    }
    hnsw.setEf(params.efSearch);
    return new VectorIndex(hnsw, dims, metric, count, params.efSearch);
  }

  /**
   * Loads an index file on libuv's thread pool, so a server loading a new index keeps answering meanwhile
   * (a 60,000-image pixel index is ~200 MB); throws INDEX_CORRUPT naming the file when it cannot be read
   * or does not match.
   */
  static async open(
    file: string,
    dims: number,
    metric: Metric,
    efSearch: number,
    expectedCount: number,
  ): Promise<VectorIndex> {
    const hnsw = new HierarchicalNSW(metric, dims);
    try {
      await hnsw.readIndex(file, true);
    } catch (err) {
      throw createError('INDEX_CORRUPT', { file, reason: (err as Error).message });
    }
    const count = hnsw.getCurrentCount();
    const refusal =
      count !== expectedCount
        ? `it holds ${count} items, the manifest says ${expectedCount}`
        : hnsw.getNumDimensions() !== dims
          ? `it has ${hnsw.getNumDimensions()} dims, expected ${dims}`
          : undefined;
    if (refusal !== undefined) {
      // Freed now, as in dispose: a failed reload must not leave a whole index to the GC's good will.
      hnsw.initIndex({ maxElements: 1 });
      throw createError('INDEX_CORRUPT', { file, reason: refusal });
    }
    hnsw.setEf(efSearch);
    return new VectorIndex(hnsw, dims, metric, count, efSearch);
  }

  /**
   * The k (clamped to the count) nearest items to `query`, nearest first; distances are true L2 or 1 - cos.
   * With `filter`, only ids it accepts: hnswlib walks on past rejected nodes until it has k accepted ones
   * (or has seen every node it can reach), so a filter for a rare label still yields k of them.
   */
  search(query: Float32Array | readonly number[], k: number, filter?: (id: number) => boolean): Neighbours {
    if (this.disposed) throw new Error('search on a disposed vector index');
    const n = Math.min(Math.max(0, Math.floor(k)), this.live);
    if (n === 0) return { ids: [], distances: [] };
    if (n > this.efSearch) this.hnsw.setEf(n);
    const result = this.hnsw.searchKnn(toArray(query), n, filter);
    if (n > this.efSearch) this.hnsw.setEf(this.efSearch);
    const order = result.neighbors
      .map((_, i) => i)
      .sort((a, b) => (result.distances[a] ?? 0) - (result.distances[b] ?? 0));
    return {
      ids: order.map((i) => result.neighbors[i] ?? -1),
      distances: order.map((i) => this.trueDistance(result.distances[i] ?? 0)),
    };
  }

  /**
   * Frees the native index now (re-initialising it to one slot) instead of whenever the GC finalises it:
   * V8 does not see that memory, so a replaced index could otherwise linger for a long time. Idempotent.
   */
  dispose(): void {
    if (this.disposed) return;
    this.hnsw.initIndex({ maxElements: 1 });
    this.disposed = true;
  }

  private trueDistance(d: number): number {
    return this.metric === 'l2' ? Math.sqrt(Math.max(0, d)) : Math.max(0, d);
  }

  /** Writes the index to `file` via a temporary file, fsync and rename (hnswlib overwrites in place). */
  async save(file: string): Promise<void> {
    const tmp = tempPathFor(file);
    try {
      await this.hnsw.writeIndex(tmp);
      await fsyncPath(tmp);
      await rename(tmp, file);
      await fsyncPath(dirname(file));
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }
}
