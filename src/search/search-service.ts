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
import { decoderFrameBytes } from '../model/architectures/input-steps.js';
import type { LoadedModel, ModelManifest } from '../model/store.js';
import type { CollectionSource, SourceHit } from '../store/collection-source.js';
import { type EmbeddedParts, EmbeddedSource } from '../store/embedded-source.js';
import { meanSquaredError } from '../store/error-distribution.js';
import type { CollectionMap } from '../store/map-layout.js';
import { type OpenIndexOptions, openIndex } from '../store/open-index.js';
import { measureUnusual, type Unusualness, unusualThreshold } from '../store/unusual-score.js';
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
    /** Its unusual-query score and that score's percentile among the collection's items (store/unusual-score.ts). */
    readonly unusual: Unusualness;
    /** Where the query lands on the map of the collection; null without a map. */
    readonly mapPosition: MapPosition | null;
  };
  readonly spaces: Partial<Record<QuerySpace, SpaceResult>>;
}

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

/** Searches one collection (in either store) with one model; owns both (and its micro-batcher) until `close`. */
export class SearchService {
  private readonly batcher: EncodeBatcher;
  private closed = false;
  /** The running `follow`, so calls from a timer and from a request never interleave. */
  private following: Promise<number> | undefined;
  private placement: Promise<MapPlacement> | undefined;
  /** Embeds model inputs with this service's model (through the micro-batcher). */
  readonly embedder: Embedder;

  constructor(
    /** The model it embeds with (owned: closing the service frees it). */
    readonly loadedModel: LoadedModel,
    readonly source: CollectionSource,
  ) {
    this.batcher = new EncodeBatcher(loadedModel.encoder, loadedModel.decoder);
    this.embedder = {
      model: loadedModel.manifest.weightsHash,
      embed: (inputs) => Promise.all(inputs.map((input) => this.embedInput(input))),
    };
  }

  /**
   * Opens the index in `indexDir` (see openIndex for what it checks and throws) and applies the changes
   * made to the collection since the index was built.
   */
  static async open(indexDir: string, options: OpenIndexOptions = {}): Promise<SearchService> {
    const { modelManifest, encoder, decoder, ...parts } = await openIndex(indexDir, options);
    const source = new EmbeddedSource({ ...parts, model: modelManifest.weightsHash });
    return SearchService.serve({ manifest: modelManifest, encoder, decoder }, source);
  }

  /** A service on `source` with `model`, the changes since its build applied; closes both when that fails. */
  static async serve(model: LoadedModel, source: CollectionSource): Promise<SearchService> {
    const service = new SearchService(model, source);
    try {
      await service.follow();
    } catch (err) {
      await service.close();
      throw err;
    }
    return service;
  }

  /** The model's weights hash: the codes it makes are stored under it. */
  get model(): string {
    return this.loadedModel.manifest.weightsHash;
  }

  /** The served model's manifest. */
  get modelManifest(): ModelManifest {
    return this.loadedModel.manifest;
  }

  /** The index folder's parts; throws EMBEDDED_ONLY on another store (for what only the embedded store does). */
  embedded(what: string): EmbeddedParts {
    if (this.source instanceof EmbeddedSource) return this.source.parts;
    throw createError('EMBEDDED_ONLY', { what, where: this.source.where });
  }

  /** Number of items searchable now. */
  get count(): number {
    return this.source.count;
  }

  /** A label number's name, or null. */
  labelName(label: number | null): string | null {
    if (label === null || label < 0) return null;
    return this.source.labelNames()[label] ?? String(label);
  }

  /**
   * The unusual-query score at `percentile` (0..100) of the collection's items, as measured when the
   * index was built; null for an index built before it was measured.
   */
  unusualThreshold(percentile: number): number | null {
    return unusualThreshold(this.source.unusual, percentile);
  }

  /**
   * The map of the collection as built, without the items removed since and with their labels as of now
   * (items added since are not on it until a rebuild); null for an index built without one.
   */
  async map(): Promise<CollectionMap | null> {
    const { map } = this.source;
    if (!map) return null;
    const labels = await this.source.labelsOf(map.points.map((p) => p.id));
    const points = map.points.flatMap((p) => {
      const label = labels.get(p.id);
      return label === undefined ? [] : [{ ...p, label: label < 0 ? null : label }];
    });
    return { method: map.method, points };
  }

  /** The query's reconstruction error, how unusual it is and its place on the map. */
  private async profileQuery(query: EmbeddedQuery) {
    // what the decoder rebuilds: the input re-centred when the model re-centres
    const seen = decoderFrameBytes(this.loadedModel.manifest.arch, query.gray);
    const reconstructionError = meanSquaredError(toUnitFloat(seen), query.reconstruction);
    const { map } = this.source;
    if (map) this.placement ??= MapPlacement.load(map.points, (ids) => this.codesOf(ids));
    const placement = await this.placement;
    return {
      reconstructionError,
      unusual: measureUnusual(this.source.unusual, seen, query.reconstruction, this.source.meta),
      mapPosition: placement?.place(query.code) ?? null,
    };
  }

  private async codesOf(ids: readonly number[]): Promise<(Float32Array | undefined)[]> {
    // One read for the map's few thousand points: on PostgreSQL, one query instead of one per point.
    const codes = await this.source.codes(ids);
    return ids.map((id) => codes.get(id));
  }

  private async record(id: number) {
    const record = Number.isInteger(id) ? await this.source.item(id) : undefined;
    if (!record) throw createError('ITEM_NOT_FOUND', { id });
    return record;
  }

  /** An item's id, label, label name, source and time added; throws ITEM_NOT_FOUND. */
  async item(id: number): Promise<ItemInfo> {
    const { label, source, addedAt } = await this.record(id);
    return { id, label, labelName: this.labelName(label), source, addedAt };
  }

  /** An item's model input (side x side x channels bytes); throws ITEM_NOT_FOUND. */
  async itemPixels(id: number): Promise<Uint8Array> {
    const input = Number.isInteger(id) ? await this.source.input(id) : undefined;
    if (!input) throw createError('ITEM_NOT_FOUND', { id });
    return input;
  }

  /** The thumbnail of an item's original, or undefined when its original is its model input (IDX datasets). */
  async thumbnail(id: number): Promise<{ bytes: Uint8Array; type: string } | undefined> {
    const thumb = await this.source.thumbnail(id);
    return thumb && thumb.type !== THUMB_IS_INPUT ? thumb : undefined;
  }

  /** An item's model input as PNG, scaled to about `size` px with nearest-neighbour sampling. */
  async itemPng(id: number, size: number): Promise<Buffer> {
    const { side, channels } = this.source.meta;
    return encodePng(await this.itemPixels(id), side, side, channels, Math.max(1, Math.round(size / side)));
  }

  /**
   * Adds images (uploads or files) to the collection, embedded with this service's model, and applies
   * the change at once; other servers pick it up from the store's change log.
   */
  async addImages(
    images: readonly ImageToAdd[],
    options: Omit<AddOptions, 'embedder' | 'ids'> = {},
  ): Promise<ChangeReport> {
    const report = await addImages(this.source.writer, this.source.meta, images, {
      ...options,
      embedder: this.embedder,
    });
    await this.follow();
    return report;
  }

  /** Removes items from the collection and applies the change at once; returns the ids that were there. */
  async removeItems(ids: readonly number[]): Promise<number[]> {
    const removed = await this.source.writer.remove(ids);
    await this.follow();
    return removed;
  }

  /**
   * Applies the changes other processes made to the collection since the last call (see the source's
   * `follow`). Returns the number of changes applied. Calls never overlap.
   */
  follow(): Promise<number> {
    const run = (this.following ?? Promise.resolve(0)).then(() =>
      this.closed ? 0 : this.source.follow((input) => this.embedInput(input)),
    );
    this.following = run.catch(() => 0);
    return run;
  }

  private async embedInput(input: Uint8Array): Promise<Float32Array> {
    return (await this.batcher.embed(toUnitFloat(input))).code;
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
    const gray = await decodeImage(bytes, this.source.meta, {
      what: upload.what ?? 'the upload',
      ...upload.decoding,
    });
    return this.answer(await this.embedImage(gray), options);
  }

  /** Neighbours of stored item `id`, excluding the item itself; throws ITEM_NOT_FOUND, SPACE_UNAVAILABLE. */
  async searchById(id: number, options: SearchOptions): Promise<SearchResponse> {
    const gray = await this.itemPixels(id);
    const stored = await this.source.code(id);
    if (!stored) return this.answer({ ...(await this.embedImage(gray)), id, embedMs: 0 }, options);
    const embedded = await this.batcher.reconstruct(stored);
    return this.answer({ ...embedded, gray, id, embedMs: 0 }, options);
  }

  /** Runs one image query through the models and the code index, so the first real one does not pay for tfjs compiling its kernels. */
  async warmUp(): Promise<void> {
    const first = (await this.source.items({ offset: 0, limit: 1 })).items[0];
    if (first)
      await this.answer(await this.embedImage(await this.itemPixels(first.id)), { k: 1, spaces: ['code'] });
  }

  private async embedImage(gray: Uint8Array): Promise<EmbeddedQuery> {
    const started = performance.now();
    const embedded = await this.batcher.embed(toUnitFloat(gray));
    return { ...embedded, gray, id: null, embedMs: performance.now() - started };
  }

  /** The neighbours of an embedded query in each space asked for, with agreement and precision. */
  private async answer(query: EmbeddedQuery, options: SearchOptions): Promise<SearchResponse> {
    const raw: Partial<Record<QuerySpace, { hits: Hit[]; ms: number }>> = {};
    for (const space of options.spaces) {
      if (!this.source.spaces.includes(space)) throw createError('SPACE_UNAVAILABLE', { space });
      const started = performance.now();
      const vector = space === 'code' ? query.code : toUnitFloat(query.gray);
      const found = await this.source.search(space, vector, {
        k: options.k,
        exclude: query.id,
        ...(options.labels === undefined ? {} : { labels: options.labels }),
      });
      const hits = this.toHits(found, options.maxDistance);
      raw[space] = { hits, ms: performance.now() - started + (space === 'code' ? query.embedMs : 0) };
    }
    const label = query.id === null ? null : (await this.item(query.id)).label;
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
        ...(await this.profileQuery(query)),
      },
      spaces,
    };
  }

  private toHits(found: readonly SourceHit[], maxDistance: number | undefined): Hit[] {
    return found
      .filter((h) => maxDistance === undefined || h.distance <= maxDistance)
      .map(({ record: { id, label, source, addedAt }, distance }) => ({
        id,
        label,
        labelName: this.labelName(label),
        source,
        addedAt,
        distance,
      }));
  }

  /**
   * Stops the micro-batcher (queries still waiting in it are refused), frees the model's tensors and
   * closes the source. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.batcher.close();
    this.loadedModel.encoder.dispose();
    this.loadedModel.decoder.dispose();
    await this.source.close();
  }
}
