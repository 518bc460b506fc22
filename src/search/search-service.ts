/**
 * SearchService: the one query path. A query by image bytes is decoded, encoded and reconstructed; a
 * query by item id takes the item's stored code and reconstructs it; both go through the service's
 * micro-batcher and then the same neighbour search in each space asked for. No HTTP types here.
 */
import { labelName } from '../dataset/types.js';
import { createError } from '../errors.js';
import { encodeGrayPng } from '../image/png.js';
import { type DecodeOptions, decodeToGray, toUnitFloat } from '../image/preprocess.js';
import { closeIndex, type OpenedIndex, type OpenIndexOptions, openIndex } from '../store/open-index.js';
import type { VectorIndex } from '../store/vector-index.js';
import { type Embedded, EncodeBatcher } from './encode-batcher.js';

/** The two search spaces. */
export const QUERY_SPACES = ['code', 'pixel'] as const;
export type QuerySpace = (typeof QUERY_SPACES)[number];

/** One neighbour. */
export interface Hit {
  readonly id: number;
  readonly label: number | null;
  readonly labelName: string | null;
  /** True L2 distance (or 1 - cosine for a cosine code space). */
  readonly distance: number;
}

/** Neighbours in one space. */
export interface SpaceResult {
  readonly space: QuerySpace;
  readonly results: Hit[];
  /** Time of the vector search (plus encoding an uploaded image, for code space), in ms. */
  readonly ms: number;
  /** Share of results whose label equals the other space's top-1 label; null without labels or other space. */
  readonly agreement: number | null;
  /** Share of results whose label equals the query item's label; null for uploads. */
  readonly precision: number | null;
}

/** What a query asks for. */
export interface SearchOptions {
  readonly k: number;
  readonly spaces: readonly QuerySpace[];
  /** Drop results farther than this. */
  readonly maxDistance?: number;
  /** Only items with one of these labels (still k of them when that many exist). */
  readonly labels?: readonly number[];
}

/** How an uploaded image is read. */
export interface UploadOptions {
  /** How messages name it, e.g. its file name (default "the upload"). */
  readonly what?: string;
  /** The budget its header must fit and the slots its decode runs in (default: the default budget, at once). */
  readonly decoding?: Pick<DecodeOptions, 'budget' | 'slots'>;
}

/** A search's answer. */
export interface SearchResponse {
  readonly query: {
    readonly id: number | null;
    readonly label: number | null;
    readonly labelName: string | null;
    readonly code: number[];
    /** The decoder's reconstruction of the code, side x side grayscale. */
    readonly reconstruction: Uint8Array;
    /** The preprocessed query, side x side grayscale. */
    readonly image: Uint8Array;
  };
  readonly spaces: Partial<Record<QuerySpace, SpaceResult>>;
}

/** Everything a SearchService runs on: an opened index (see openIndex). */
export type SearchState = OpenedIndex;

/** A query whose code and reconstruction are known: an uploaded image (`id` null) or a stored item. */
interface EmbeddedQuery extends Embedded {
  readonly gray: Uint8Array;
  readonly id: number | null;
  /** Time spent encoding it, counted into the code space's `ms`. */
  readonly embedMs: number;
}

function share(hits: readonly Hit[], label: number | null): number | null {
  if (label === null || hits.length === 0) return null;
  return hits.filter((h) => h.label === label).length / hits.length;
}

/** Searches one opened index; owns it (and its micro-batcher) until `close`. */
export class SearchService {
  private readonly batcher: EncodeBatcher;
  private closed = false;

  constructor(readonly state: SearchState) {
    this.batcher = new EncodeBatcher(state.encoder, state.decoder);
  }

  /** Opens the index in `indexDir` (see openIndex for what it checks and throws). */
  static async open(indexDir: string, options: OpenIndexOptions): Promise<SearchService> {
    return new SearchService(await openIndex(indexDir, options));
  }

  /** Number of items in the database. */
  get count(): number {
    return this.state.dataset.database.count;
  }

  /** An item's id, label and label name; throws ITEM_NOT_FOUND. */
  item(id: number): Omit<Hit, 'distance'> {
    this.assertItem(id);
    const label = this.state.dataset.database.labels?.[id] ?? null;
    return { id, label, labelName: labelName(this.state.dataset, label) };
  }

  private assertItem(id: number): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.count)
      throw createError('ITEM_NOT_FOUND', { id, count: this.count - 1 });
  }

  /** An item's pixels, side x side grayscale; throws ITEM_NOT_FOUND. */
  itemPixels(id: number): Uint8Array {
    this.assertItem(id);
    const area = this.state.dataset.side ** 2;
    return this.state.dataset.database.pixels.subarray(id * area, (id + 1) * area);
  }

  /** An item's image as PNG, scaled to about `size` px with nearest-neighbour sampling. */
  async itemPng(id: number, size: number): Promise<Buffer> {
    const side = this.state.dataset.side;
    return encodeGrayPng(this.itemPixels(id), side, side, Math.max(1, Math.round(size / side)));
  }

  /**
   * Neighbours of an uploaded image (any format sharp reads). Throws NOT_AN_IMAGE (and the other decode
   * errors) naming it as `upload.what`, and SPACE_UNAVAILABLE.
   */
  async searchByImage(
    bytes: Uint8Array,
    options: SearchOptions,
    upload: UploadOptions = {},
  ): Promise<SearchResponse> {
    const side = this.state.dataset.side;
    const gray = await decodeToGray(bytes, { side, what: upload.what ?? 'the upload', ...upload.decoding });
    return this.answer(await this.embedImage(gray), options);
  }

  /** Neighbours of stored item `id`, excluding the item itself; throws ITEM_NOT_FOUND, SPACE_UNAVAILABLE. */
  async searchById(id: number, options: SearchOptions): Promise<SearchResponse> {
    const gray = this.itemPixels(id);
    const dims = this.state.indexManifest.code.dims;
    const embedded = await this.batcher.reconstruct(this.state.codes.subarray(id * dims, (id + 1) * dims));
    return this.answer({ ...embedded, gray, id, embedMs: 0 }, options);
  }

  /** Runs one image query through the models and the code index, so the first real one does not pay for tfjs compiling its kernels. */
  async warmUp(): Promise<void> {
    if (this.count > 0) this.answer(await this.embedImage(this.itemPixels(0)), { k: 1, spaces: ['code'] });
  }

  private async embedImage(gray: Uint8Array): Promise<EmbeddedQuery> {
    const started = performance.now();
    const embedded = await this.batcher.embed(toUnitFloat(gray));
    return { ...embedded, gray, id: null, embedMs: performance.now() - started };
  }

  /** The neighbours of an embedded query in each space asked for, with agreement and precision. */
  private answer(query: EmbeddedQuery, options: SearchOptions): SearchResponse {
    const raw: Partial<Record<QuerySpace, { hits: Hit[]; ms: number }>> = {};
    for (const space of options.spaces) {
      const index = this.state.indexes[space];
      if (!index) throw createError('SPACE_UNAVAILABLE', { space });
      const started = performance.now();
      const vector = space === 'code' ? query.code : toUnitFloat(query.gray);
      const hits = this.neighbours(index, vector, options, query.id);
      raw[space] = { hits, ms: performance.now() - started + (space === 'code' ? query.embedMs : 0) };
    }
    const label = query.id === null ? null : this.item(query.id).label;
    const spaces: Partial<Record<QuerySpace, SpaceResult>> = {};
    for (const space of options.spaces) {
      const mine = raw[space];
      if (!mine) continue;
      const other = raw[space === 'code' ? 'pixel' : 'code'];
      spaces[space] = {
        space,
        results: mine.hits,
        ms: mine.ms,
        agreement: share(mine.hits, other?.hits[0]?.label ?? null),
        precision: share(mine.hits, label),
      };
    }
    return {
      query: {
        id: query.id,
        label,
        labelName: labelName(this.state.dataset, label),
        code: Array.from(query.code),
        reconstruction: Uint8Array.from(query.reconstruction, (v) =>
          Math.round(Math.min(1, Math.max(0, v)) * 255),
        ),
        image: query.gray,
      },
      spaces,
    };
  }

  private neighbours(
    index: VectorIndex,
    vector: Float32Array,
    options: SearchOptions,
    selfId: number | null,
  ): Hit[] {
    const found = this.searchIndex(index, vector, options, selfId);
    const hits: Hit[] = [];
    found.ids.forEach((id, i) => {
      const distance = found.distances[i] ?? 0;
      if (id === selfId || hits.length >= options.k) return;
      if (options.maxDistance !== undefined && distance > options.maxDistance) return;
      hits.push({ ...this.item(id), distance });
    });
    return hits;
  }

  /**
   * The index's answer for `options`: k + 1 when the query item itself may come back (it is dropped
   * afterwards), or, with a label filter, k that the filter (which also keeps the query item out) accepts.
   */
  private searchIndex(
    index: VectorIndex,
    vector: Float32Array,
    options: SearchOptions,
    selfId: number | null,
  ) {
    if (options.labels === undefined) return index.search(vector, options.k + (selfId === null ? 0 : 1));
    const wanted = new Set(options.labels);
    const labels = this.state.dataset.database.labels;
    return index.search(vector, options.k, (id) => id !== selfId && wanted.has(labels?.[id] ?? -1));
  }

  /**
   * Stops the micro-batcher (queries still waiting in it are refused) and frees the model's tensors and
   * the HNSW indexes' native memory. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.batcher.close();
    closeIndex(this.state);
  }
}
