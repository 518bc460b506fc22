/**
 * CollectionSource: everything a search service reads and writes of a collection, whichever store holds
 * it. The embedded store (an index folder: SQLite catalogue + hnswlib files, see embedded-source.ts) and
 * PostgreSQL + pgvector (pg/pg-source.ts) are two implementations of it; the search service, the routes
 * and the CLI do not know which one they talk to.
 */
import type { CollectionMeta, ItemPage, ItemRecord } from '../collection/catalogue.js';
import type { CollectionWriter } from '../collection/collection-writer.js';
import type { IndexManifest } from './manifest.js';
import type { CollectionMap } from './map-layout.js';
import type { UnusualProfile } from './unusual-score.js';
import type { Metric } from './vector-index.js';

/** The two vector spaces. */
export type VectorSpace = 'code' | 'pixel';

/** Which build a source serves: unique per `aesearch index` run. */
export interface BuildIdentity {
  /** The ann folder (`ann-<time>-<pid>`) or the store's build id (`pg-<time>-<pid>`). */
  readonly id: string;
  readonly builtAt: string;
  /** Items when it was built. */
  readonly items: number;
}

/** What a neighbour search asks of a space. */
export interface SpaceQuery {
  /** Neighbours wanted (after leaving `exclude` out). */
  readonly k: number;
  /** An item to leave out (the query item itself). */
  readonly exclude: number | null;
  /** Only items with one of these labels (-1 for unlabelled), still k of them when that many exist. */
  readonly labels?: readonly number[];
}

/** One neighbour: the item as stored and its distance. */
export interface SourceHit {
  readonly record: ItemRecord;
  readonly distance: number;
}

/** Embeds model inputs with the served model (the search service's micro-batcher). */
export type EmbedInput = (input: Uint8Array) => Promise<Float32Array>;

/** One collection in one store, opened for serving. */
export interface CollectionSource {
  /** How messages name the store: the index folder, or `the PostgreSQL store at host:port/db`. */
  readonly where: string;
  readonly kind: 'embedded' | 'postgres';
  readonly meta: CollectionMeta;
  readonly identity: BuildIdentity;
  /** The manifest of the build it serves (for PostgreSQL: as `aesearch index --store` published it). */
  readonly manifest: IndexManifest;
  /** The spaces that can be searched, with the code space's distance. */
  readonly spaces: readonly VectorSpace[];
  readonly codeMetric: Metric;
  /** The collection's unusual-query profile measured at build time (unusual-score.ts), or null. */
  readonly unusual: UnusualProfile | null;
  /** The map of the collection as built, or null. */
  readonly map: CollectionMap | null;
  /** Items searchable now (kept current by `follow`). */
  readonly count: number;
  /** Slots of removed items not yet reused (embedded HNSW); 0 for PostgreSQL. */
  readonly deletedSlots: number;
  /** Writes (add, remove, sync) to this collection. */
  readonly writer: CollectionWriter;
  /** Label names by number (kept current by `follow`). */
  labelNames(): readonly string[];
  item(id: number): Promise<ItemRecord | undefined>;
  items(options: { offset: number; limit: number; label?: number | null }): Promise<ItemPage>;
  countsByLabel(): Promise<Map<number, number>>;
  /** An item's model input (side x side x channels bytes). */
  input(id: number): Promise<Uint8Array | undefined>;
  thumbnail(id: number): Promise<{ bytes: Uint8Array; type: string } | undefined>;
  /** An item's stored code under the served model, or undefined. */
  code(id: number): Promise<Float32Array | undefined>;
  /** The stored codes under the served model of those of `ids` that have one (one read for all). */
  codes(ids: readonly number[]): Promise<Map<number, Float32Array>>;
  /** The labels (-1 when none) of those of `ids` that are still in the collection. */
  labelsOf(ids: readonly number[]): Promise<Map<number, number>>;
  /**
   * The nearest items in `space`, nearest first (true L2, or 1 - cosine for a cosine code space), at most
   * `query.k`, never an item already removed. Throws SPACE_UNAVAILABLE for a space it does not have.
   */
  search(space: VectorSpace, vector: Float32Array, query: SpaceQuery): Promise<SourceHit[]>;
  /** Applies changes made by other processes since the last call; returns how many there were. */
  follow(embed: EmbedInput): Promise<number>;
  /** Frees what it holds. Idempotent. */
  close(): Promise<void>;
}
