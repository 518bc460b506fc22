import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../dataset/load.js';
import { type Dataset, labelName } from '../dataset/types.js';
import { createError } from '../errors.js';
import { encodeGrayPng } from '../image/png.js';
import { decodeToGray, toUnitFloat } from '../image/preprocess.js';
import { decodeCodes, embedOne } from '../model/encoder.js';
import { loadModel, type ModelManifest } from '../model/store.js';
import { loadCodes, loadSpace } from '../store/load-index.js';
import {
  assertIndexMatches,
  INDEX_MANIFEST,
  type IndexManifest,
  readIndexManifest,
} from '../store/manifest.js';
import type { VectorIndex } from '../store/vector-index.js';

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
  /** Time of the vector search (plus encoding, for code space), in ms. */
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

/** Everything a SearchService runs on; `open` loads it from an index folder. */
export interface SearchState {
  readonly dataset: Dataset;
  readonly indexManifest: IndexManifest;
  readonly modelManifest: ModelManifest;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  readonly codes: Float32Array;
  readonly indexes: Partial<Record<QuerySpace, VectorIndex>>;
}

/** How to open a service. */
export interface OpenOptions {
  readonly indexDir: string;
  readonly data: string;
  readonly dataPath: readonly string[];
  /** A dataset already in memory (skips loading it again). */
  readonly dataset?: Dataset;
}

/** Loads dataset, model, manifest and indexes, and checks they belong together. */
export async function loadSearchState(options: OpenOptions): Promise<SearchState> {
  const indexManifest = await readIndexManifest(options.indexDir);
  const model = await loadModel(options.indexDir);
  try {
    const dataset =
      options.dataset ??
      (await loadDataset({
        data: options.data,
        searchPath: options.dataPath,
        limit: indexManifest.dataset.count,
      }));
    assertIndexMatches(indexManifest, model.manifest, dataset, join(options.indexDir, INDEX_MANIFEST));
    const indexes: Partial<Record<QuerySpace, VectorIndex>> = {
      code: await loadSpace(options.indexDir, indexManifest, indexManifest.code),
    };
    if (indexManifest.pixel)
      indexes.pixel = await loadSpace(options.indexDir, indexManifest, indexManifest.pixel);
    const codes = await loadCodes(options.indexDir, indexManifest);
    return {
      dataset,
      indexManifest,
      modelManifest: model.manifest,
      encoder: model.encoder,
      decoder: model.decoder,
      codes,
      indexes,
    };
  } catch (err) {
    model.encoder.dispose();
    model.decoder.dispose();
    throw err;
  }
}

function share(hits: readonly Hit[], label: number | null): number | null {
  if (label === null || hits.length === 0) return null;
  return hits.filter((h) => h.label === label).length / hits.length;
}

/** Searches one loaded index state. */
export class SearchService {
  constructor(readonly state: SearchState) {}

  /** Opens the index in `options.indexDir`; throws NO_INDEX, NO_MODEL, INDEX_MISMATCH or INDEX_CORRUPT. */
  static async open(options: OpenOptions): Promise<SearchService> {
    return new SearchService(await loadSearchState(options));
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
      throw createError('ITEM_NOT_FOUND', id, this.count - 1);
  }

  /** An item's pixels, side x side grayscale. */
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

  /** Neighbours of an uploaded image (any format sharp reads); throws NOT_AN_IMAGE. */
  async searchByImage(
    bytes: Uint8Array,
    options: SearchOptions,
    what = 'the upload',
  ): Promise<SearchResponse> {
    const gray = await decodeToGray(bytes, { side: this.state.dataset.side, what });
    return this.searchByPixels(gray, options, null);
  }

  /** Neighbours of stored item `id`, excluding the item itself. */
  searchById(id: number, options: SearchOptions): SearchResponse {
    return this.searchByPixels(this.itemPixels(id), options, id);
  }

  /**
   * Neighbours of a side x side grayscale image; `selfId` is excluded from results and gives the query label.
   * `embedded` is the image's code and reconstruction when already computed (the server batches them).
   */
  searchByPixels(
    gray: Uint8Array,
    options: SearchOptions,
    selfId: number | null,
    embedded?: { readonly code: Float32Array; readonly reconstruction: Float32Array },
  ): SearchResponse {
    const floats = toUnitFloat(gray);
    let started = performance.now();
    const code =
      embedded?.code ?? (selfId === null ? embedOne(this.state.encoder, floats) : this.storedCode(selfId));
    const encodeMs = performance.now() - started;
    const raw: Partial<Record<QuerySpace, { hits: Hit[]; ms: number }>> = {};
    for (const space of options.spaces) {
      const index = this.state.indexes[space];
      if (!index) throw createError('SPACE_UNAVAILABLE', space);
      started = performance.now();
      const hits = this.neighbours(index, space === 'code' ? code : floats, options, selfId);
      raw[space] = { hits, ms: performance.now() - started + (space === 'code' ? encodeMs : 0) };
    }
    const label = selfId === null ? null : this.item(selfId).label;
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
    const side = this.state.dataset.side;
    const recon = embedded?.reconstruction ?? decodeCodes(this.state.decoder, code, 1);
    return {
      query: {
        id: selfId,
        label,
        labelName: labelName(this.state.dataset, label),
        code: Array.from(code),
        reconstruction: Uint8Array.from(recon, (v) => Math.round(Math.min(1, Math.max(0, v)) * 255)),
        image: gray.length === side * side ? gray : new Uint8Array(side * side),
      },
      spaces,
    };
  }

  /** The stored code of item `id`. */
  storedCode(id: number): Float32Array {
    this.assertItem(id);
    const dims = this.state.indexManifest.code.dims;
    return this.state.codes.subarray(id * dims, (id + 1) * dims);
  }

  private neighbours(
    index: VectorIndex,
    vector: Float32Array,
    options: SearchOptions,
    selfId: number | null,
  ): Hit[] {
    const found = index.search(vector, options.k + (selfId === null ? 0 : 1));
    const hits: Hit[] = [];
    found.ids.forEach((id, i) => {
      const distance = found.distances[i] ?? 0;
      if (id === selfId || hits.length >= options.k) return;
      if (options.maxDistance !== undefined && distance > options.maxDistance) return;
      hits.push({ ...this.item(id), distance });
    });
    return hits;
  }

  /** Frees the model's tensors. */
  dispose(): void {
    this.state.encoder.dispose();
    this.state.decoder.dispose();
  }
}
