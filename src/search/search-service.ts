/**
 * SearchService: the one query path. A query by image bytes is decoded, encoded and reconstructed; a
 * query by item id takes the item's stored code and reconstructs it; both go through the service's
 * micro-batcher and then the same neighbour search in each space asked for. No HTTP types here.
 */
import {
  type AddOptions,
  addImages,
  type ChangeReport,
  type Embedder,
  type ImageToAdd,
} from '../collection/add-images.js';
import { THUMB_IS_INPUT } from '../collection/seed.js';
import { createError } from '../errors.js';
import { encodePng } from '../image/png.js';
import { type DecodeOptions, decodeImage, toUnitFloat } from '../image/preprocess.js';
import { meanSquaredError, percentileOf, quantileOf } from '../store/error-distribution.js';
import type { CollectionMap } from '../store/map-layout.js';
import { closeIndex, type OpenedIndex, type OpenIndexOptions, openIndex } from '../store/open-index.js';
import type { VectorIndex } from '../store/vector-index.js';
import { type Embedded, EncodeBatcher } from './encode-batcher.js';
import { MapPlacement, type MapPosition } from './map-placement.js';

/** The two search spaces. */
export const QUERY_SPACES = ['code', 'pixel'] as const;
export type QuerySpace = (typeof QUERY_SPACES)[number];

/** One item, as search hits and the item routes describe it. */
export interface ItemInfo {
  readonly id: number;
  readonly label: number | null;
  readonly labelName: string | null;
  /** The file's path relative to the folder it was added from, or the upload's file name. */
  readonly source: string;
  /** ISO time the item was added. */
  readonly addedAt: string;
}

/** One neighbour. */
export interface Hit extends ItemInfo {
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
    /** The decoder's reconstruction of the code, side x side x channels. */
    readonly reconstruction: Uint8Array;
    /** The preprocessed query (the model input), side x side x channels. */
    readonly image: Uint8Array;
    /** Mean squared error between the model input and the decoder's output, pixels in [0, 1]. */
    readonly reconstructionError: number;
    /** That error's percentile among the collection's items (measured at build time); null when not measured. */
    readonly errorPercentile: number | null;
    /** Where the query lands on the map of the collection; null without a map. */
    readonly mapPosition: MapPosition | null;
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
  /** The last change of the catalogue applied to the vector indexes. */
  private appliedSeq: number;
  /** The running `follow`, so calls from a timer and from a request never interleave. */
  private following: Promise<number> | undefined;
  private labelNames: string[];
  private labelsById: Map<number, number> | undefined;
  private placement: MapPlacement | undefined;
  /** Embeds model inputs with this service's model (through the micro-batcher). */
  readonly embedder: Embedder;

  constructor(readonly state: SearchState) {
    this.batcher = new EncodeBatcher(state.encoder, state.decoder);
    this.embedder = {
      model: state.modelManifest.weightsHash,
      embed: (inputs) =>
        Promise.all(inputs.map(async (input) => (await this.batcher.embed(toUnitFloat(input))).code)),
    };
    this.appliedSeq = state.indexManifest.changesSeq;
    this.labelNames = state.catalogue.labelNames();
  }

  /**
   * Opens the index in `indexDir` (see openIndex for what it checks and throws) and applies the changes
   * made to the collection since the index was built.
   */
  static async open(indexDir: string, options: OpenIndexOptions = {}): Promise<SearchService> {
    const service = new SearchService(await openIndex(indexDir, options));
    try {
      await service.follow();
    } catch (err) {
      service.close();
      throw err;
    }
    return service;
  }

  /** The model's weights hash: the codes it makes are stored under it. */
  get model(): string {
    return this.state.modelManifest.weightsHash;
  }

  /** Number of items searchable now. */
  get count(): number {
    return this.state.indexes.code.count;
  }

  /** Each live item's label (-1 when none), for the label filter; read once, then kept up to date by `follow`. */
  private itemLabels(): Map<number, number> {
    this.labelsById ??= this.state.catalogue.labelsById();
    return this.labelsById;
  }

  /** A label number's name, or null. */
  labelName(label: number | null): string | null {
    if (label === null || label < 0) return null;
    if (label >= this.labelNames.length) this.labelNames = this.state.catalogue.labelNames();
    return this.labelNames[label] ?? String(label);
  }

  /**
   * The reconstruction error at `percentile` (0..100) of the collection's items, as measured when the
   * index was built; null for an index built before errors were measured.
   */
  errorAtPercentile(percentile: number): number | null {
    return quantileOf(this.state.errors, percentile);
  }

  /**
   * The map of the collection as built, without the items removed since and with their labels as of now
   * (items added since are not on it until a rebuild); null for an index built without one.
   */
  map(): CollectionMap | null {
    const { map } = this.state;
    if (!map) return null;
    const labels = this.itemLabels();
    const points = map.points.flatMap((p) => {
      const label = labels.get(p.id);
      return label === undefined ? [] : [{ ...p, label: label < 0 ? null : label }];
    });
    return { method: map.method, points };
  }

  /** The query's reconstruction error, its percentile and its place on the map. */
  private profileQuery(query: EmbeddedQuery) {
    const reconstructionError = meanSquaredError(toUnitFloat(query.gray), query.reconstruction);
    const { map } = this.state;
    if (map && !this.placement)
      this.placement = new MapPlacement(map.points, (id) => this.state.catalogue.code(this.model, id));
    return {
      reconstructionError,
      errorPercentile: percentileOf(this.state.errors, reconstructionError),
      mapPosition: this.placement?.place(query.code, (id) => this.itemLabels().has(id)) ?? null,
    };
  }

  /** An item's id, label, label name, source and time added; throws ITEM_NOT_FOUND. */
  item(id: number): ItemInfo {
    const record = Number.isInteger(id) ? this.state.catalogue.item(id) : undefined;
    if (!record) throw createError('ITEM_NOT_FOUND', { id });
    return {
      id,
      label: record.label,
      labelName: this.labelName(record.label),
      source: record.source,
      addedAt: record.addedAt,
    };
  }

  /** An item's model input (side x side x channels bytes); throws ITEM_NOT_FOUND. */
  itemPixels(id: number): Uint8Array {
    const input = Number.isInteger(id) ? this.state.catalogue.input(id) : undefined;
    if (!input) throw createError('ITEM_NOT_FOUND', { id });
    return input;
  }

  /** The thumbnail of an item's original, or undefined when its original is its model input (IDX datasets). */
  thumbnail(id: number): { bytes: Uint8Array; type: string } | undefined {
    const thumb = this.state.catalogue.thumbnail(id);
    return thumb && thumb.type !== THUMB_IS_INPUT ? thumb : undefined;
  }

  /** An item's model input as PNG, scaled to about `size` px with nearest-neighbour sampling. */
  async itemPng(id: number, size: number): Promise<Buffer> {
    const { side, channels } = this.state.meta;
    return encodePng(this.itemPixels(id), side, side, channels, Math.max(1, Math.round(size / side)));
  }

  /**
   * Adds images (uploads or files) to the collection, embedded with this service's model, and applies
   * the change at once; other servers pick it up from the catalogue's change log.
   */
  async addImages(
    images: readonly ImageToAdd[],
    options: Omit<AddOptions, 'embedder' | 'ids'> = {},
  ): Promise<ChangeReport> {
    const report = await addImages(this.state.catalogue, this.state.meta, images, {
      ...options,
      embedder: this.embedder,
    });
    await this.follow();
    return report;
  }

  /** Removes items from the collection and applies the change at once; returns the ids that were there. */
  async removeItems(ids: readonly number[]): Promise<number[]> {
    const removed = this.state.catalogue.remove(ids);
    await this.follow();
    return removed;
  }

  /**
   * Applies the catalogue's changes since the last call to the vector indexes in place (an added item's
   * stored code, or its input embedded now when its code is of another model; a removed item marked
   * deleted). Returns the number of changes applied. Calls never overlap.
   */
  follow(): Promise<number> {
    const run = (this.following ?? Promise.resolve(0)).then(() => this.applyChanges());
    this.following = run.catch(() => 0);
    return run;
  }

  private async applyChanges(): Promise<number> {
    if (this.closed) return 0;
    const changes = this.state.catalogue.changesSince(this.appliedSeq);
    const { code, pixel } = this.state.indexes;
    for (const change of changes) {
      if (this.closed) return 0;
      if (change.op === 'remove') {
        this.labelsById?.delete(change.itemId);
        code.remove(change.itemId);
        pixel?.remove(change.itemId);
      } else {
        const input = this.state.catalogue.input(change.itemId);
        // Removed again since: its own 'remove' change follows, nothing to add.
        if (input) {
          this.labelsById?.set(change.itemId, this.state.catalogue.item(change.itemId)?.label ?? -1);
          const floats = toUnitFloat(input);
          const stored = this.state.catalogue.code(this.model, change.itemId);
          code.add(change.itemId, stored ?? (await this.batcher.embed(floats)).code);
          pixel?.add(change.itemId, floats);
        }
      }
      this.appliedSeq = change.seq;
    }
    return changes.length;
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
    const gray = await decodeImage(bytes, this.state.meta, {
      what: upload.what ?? 'the upload',
      ...upload.decoding,
    });
    return this.answer(await this.embedImage(gray), options);
  }

  /** Neighbours of stored item `id`, excluding the item itself; throws ITEM_NOT_FOUND, SPACE_UNAVAILABLE. */
  async searchById(id: number, options: SearchOptions): Promise<SearchResponse> {
    const gray = this.itemPixels(id);
    const stored = this.state.catalogue.code(this.model, id);
    if (!stored) return this.answer({ ...(await this.embedImage(gray)), id, embedMs: 0 }, options);
    const embedded = await this.batcher.reconstruct(stored);
    return this.answer({ ...embedded, gray, id, embedMs: 0 }, options);
  }

  /** Runs one image query through the models and the code index, so the first real one does not pay for tfjs compiling its kernels. */
  async warmUp(): Promise<void> {
    const first = this.state.catalogue.items({ offset: 0, limit: 1 }).items[0];
    if (first) this.answer(await this.embedImage(this.itemPixels(first.id)), { k: 1, spaces: ['code'] });
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
        labelName: this.labelName(label),
        code: Array.from(query.code),
        reconstruction: Uint8Array.from(query.reconstruction, (v) =>
          Math.round(Math.min(1, Math.max(0, v)) * 255),
        ),
        image: query.gray,
        ...this.profileQuery(query),
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
      // Removed from the catalogue by another process, not yet marked deleted here (until the next follow).
      const record = this.state.catalogue.item(id);
      if (!record) return;
      const { label, source, addedAt } = record;
      hits.push({ id, label, labelName: this.labelName(label), source, addedAt, distance });
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
    const labels = this.itemLabels();
    return index.search(vector, options.k, (id) => id !== selfId && wanted.has(labels.get(id) ?? -1));
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
