/**
 * Opening an index folder, the one way: load the model, read the index manifest, check that model and
 * index belong together, open the collection's catalogue and the vector files, each checked against the sha256 recorded at
 * build time before hnswlib reads it (a damaged file is refused with a message naming it, never
 * half-loaded). Used by the server, its reloads, `start` and `eval`.
 */
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { Catalogue, type CollectionMeta } from '../collection/catalogue.js';
import { createError } from '../errors.js';
import { type LoadedModel, loadModel, type ModelManifest } from '../model/store.js';
import { sha256File } from '../util/file-hash.js';
import {
  assertIndexMatches,
  INDEX_MANIFEST,
  type IndexManifest,
  readIndexManifest,
  type SpaceManifest,
} from './manifest.js';
import { type CollectionMap, readMap } from './map-layout.js';
import { readUnusualProfile } from './unusual-profile-file.js';
import { UNUSUAL_FEATURES, type UnusualProfile } from './unusual-score.js';
import { VectorIndex } from './vector-index.js';

/** Everything a search service runs on. */
export interface OpenedIndex {
  readonly indexManifest: IndexManifest;
  readonly modelManifest: ModelManifest;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  /** The collection's catalogue (items, inputs, thumbnails, codes, change log), open for reading and writing. */
  readonly catalogue: Catalogue;
  /** What the collection is and its input format. */
  readonly meta: CollectionMeta;
  /** The code space's HNSW index, and the pixel space's when the index has one (and it was asked for). */
  readonly indexes: { readonly code: VectorIndex; readonly pixel?: VectorIndex };
  /**
   * The collection's unusual-query profile measured at build time; null for an index built before it was
   * measured, or with other features than this version's.
   */
  readonly unusual: UnusualProfile | null;
  /** The map of the collection as built, or null for older indexes. */
  readonly map: CollectionMap | null;
}

/** What `openIndex` opens besides the index folder. */
export interface OpenIndexOptions {
  /** A model already loaded (its owner keeps it); by default the index folder's model is loaded. */
  readonly model?: LoadedModel;
  /** Open the pixel space too, when the index has one (default true). */
  readonly pixel?: boolean;
}

async function verify(file: string, expected: string): Promise<void> {
  let actual: string;
  try {
    actual = await sha256File(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw createError('INDEX_CORRUPT', {
      file,
      reason: code === 'ENOENT' ? 'the file is missing' : (code ?? 'unreadable'),
    });
  }
  if (actual !== expected)
    throw createError('INDEX_CORRUPT', {
      file,
      reason: `its sha256 ${actual.slice(0, 12)}... differs from the manifest's ${expected.slice(0, 12)}...`,
    });
}

/** Loads one space's HNSW file from the index's ann folder; throws INDEX_CORRUPT. */
async function loadSpace(
  indexDir: string,
  manifest: IndexManifest,
  space: SpaceManifest,
): Promise<VectorIndex> {
  const file = join(indexDir, manifest.dir, space.file);
  await verify(file, space.sha256);
  return VectorIndex.open(file, space.dims, space.metric, space.params.efSearch, space.count);
}

/** The unusual-query profile and map files the manifest records, each checked against its sha256; throws INDEX_CORRUPT. */
async function loadProfile(
  indexDir: string,
  manifest: IndexManifest,
): Promise<{ unusual: UnusualProfile | null; map: CollectionMap | null }> {
  const path = (file: string) => join(indexDir, manifest.dir, file);
  let unusual: UnusualProfile | null = null;
  const measured = manifest.unusual;
  if (measured && measured.features.join() === UNUSUAL_FEATURES.join()) {
    await verify(path(measured.file), measured.sha256);
    unusual = await readUnusualProfile(path(measured.file), measured.count);
  }
  if (!manifest.map) return { unusual, map: null };
  await verify(path(manifest.map.file), manifest.map.sha256);
  return { unusual, map: await readMap(path(manifest.map.file)) };
}

/** The catalogue the manifest names; throws NO_COLLECTION or COLLECTION_CORRUPT naming the file. */
function openCatalogue(
  indexDir: string,
  manifest: IndexManifest,
): { catalogue: Catalogue; meta: CollectionMeta } {
  const catalogue = Catalogue.open(join(indexDir, manifest.catalogue));
  const meta = catalogue.meta();
  if (!meta) {
    catalogue.close();
    throw createError('COLLECTION_CORRUPT', { where: catalogue.file, why: 'it was never seeded' });
  }
  return { catalogue, meta };
}

/**
 * Opens the index in `indexDir` with its model and catalogue. The HNSW files are as of the manifest's
 * `changesSeq`; the caller replays later changes (see SearchService.follow). Throws NO_MODEL or
 * MODEL_CORRUPT (the model is checked first: without one no index can be built), then NO_INDEX,
 * INDEX_CORRUPT (naming the file, and the field of a manifest), INDEX_MISMATCH, NO_COLLECTION or
 * COLLECTION_CORRUPT; whatever it loaded before failing is freed.
 */
export async function openIndex(indexDir: string, options: OpenIndexOptions = {}): Promise<OpenedIndex> {
  const model = options.model ?? (await loadModel(indexDir));
  const opened: VectorIndex[] = [];
  const open = async (manifest: IndexManifest, space: SpaceManifest) => {
    const index = await loadSpace(indexDir, manifest, space);
    opened.push(index);
    return index;
  };
  let openedCatalogue: Catalogue | undefined;
  try {
    const indexManifest = await readIndexManifest(indexDir);
    assertIndexMatches(indexManifest, model.manifest, join(indexDir, INDEX_MANIFEST));
    const { catalogue, meta } = openCatalogue(indexDir, indexManifest);
    openedCatalogue = catalogue;
    const code = await open(indexManifest, indexManifest.code);
    const pixel =
      indexManifest.pixel && options.pixel !== false
        ? await open(indexManifest, indexManifest.pixel)
        : undefined;
    const { unusual, map } = await loadProfile(indexDir, indexManifest);
    return {
      indexManifest,
      modelManifest: model.manifest,
      encoder: model.encoder,
      decoder: model.decoder,
      catalogue,
      meta,
      indexes: pixel ? { code, pixel } : { code },
      unusual,
      map,
    };
  } catch (err) {
    for (const index of opened) index.dispose();
    openedCatalogue?.close();
    if (!options.model) disposeModel(model);
    throw err;
  }
}

function disposeModel(model: Pick<OpenedIndex, 'encoder' | 'decoder'>): void {
  model.encoder.dispose();
  model.decoder.dispose();
}

/** Frees an opened index now: the model's tensors, the native memory of its HNSW indexes, the catalogue. */
export function closeIndex(index: OpenedIndex): void {
  disposeModel(index);
  index.catalogue.close();
  index.indexes.code.dispose();
  index.indexes.pixel?.dispose();
}
