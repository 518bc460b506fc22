/**
 * Opening an index folder, the one way: load the model, read the index manifest, check that model, index
 * and dataset belong together, and open the vector files, each checked against the sha256 recorded at
 * build time before hnswlib reads it (a damaged file is refused with a message naming it, never
 * half-loaded). Used by the server, its reloads, `start` and `eval`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../dataset/load.js';
import type { Dataset } from '../dataset/types.js';
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
import { VectorIndex } from './vector-index.js';

/** Everything a search service runs on. */
export interface OpenedIndex {
  readonly dataset: Dataset;
  readonly indexManifest: IndexManifest;
  readonly modelManifest: ModelManifest;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  /** The database's codes, count x code size. */
  readonly codes: Float32Array;
  /** The code space's HNSW index, and the pixel space's when the index has one (and it was asked for). */
  readonly indexes: { readonly code: VectorIndex; readonly pixel?: VectorIndex };
}

/**
 * The data the index must have been built for: a dataset in memory, or the configured one (`data` on
 * `dataPath`), loaded with as many images as the index holds unless `reuse` is that very dataset (same
 * fingerprint, as when a server reloads an index rebuilt on the data it serves).
 */
export type IndexData =
  | { readonly dataset: Dataset }
  | {
      readonly data: string;
      readonly dataPath: readonly string[];
      /** The folder format flags (--image-size, --gray) the dataset is loaded with. */
      readonly imageSize?: number | undefined;
      readonly gray?: boolean | undefined;
      readonly reuse?: Dataset;
    };

/** What `openIndex` opens besides the index folder. */
export type OpenIndexOptions = IndexData & {
  /** A model already loaded (its owner keeps it); by default the index folder's model is loaded. */
  readonly model?: LoadedModel;
  /** Open the pixel space too, when the index has one (default true). */
  readonly pixel?: boolean;
};

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

/** Loads the database's raw codes (count x dims float32); throws INDEX_CORRUPT. */
async function loadCodes(indexDir: string, manifest: IndexManifest): Promise<Float32Array> {
  const file = join(indexDir, manifest.dir, manifest.codesFile);
  await verify(file, manifest.codesSha256);
  const buf = await readFile(file);
  const expected = manifest.code.count * manifest.code.dims * 4;
  if (buf.byteLength !== expected)
    throw createError('INDEX_CORRUPT', {
      file,
      reason: `it holds ${buf.byteLength} bytes, expected ${expected}`,
    });
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

function datasetFor(manifest: IndexManifest, data: IndexData): Promise<Dataset> | Dataset {
  if ('dataset' in data) return data.dataset;
  if (data.reuse?.fingerprint === manifest.dataset.fingerprint) return data.reuse;
  const { imageSize, gray } = data;
  return loadDataset({
    data: data.data,
    searchPath: data.dataPath,
    limit: manifest.dataset.count,
    imageSize,
    gray,
  });
}

/**
 * Opens the index in `indexDir` with its model and dataset. Throws NO_MODEL or MODEL_CORRUPT (the model
 * is checked first: without one no index can be built), then NO_INDEX, INDEX_CORRUPT (naming the file,
 * and the field of a manifest) or INDEX_MISMATCH; whatever it loaded before failing is freed.
 */
export async function openIndex(indexDir: string, options: OpenIndexOptions): Promise<OpenedIndex> {
  const model = options.model ?? (await loadModel(indexDir));
  const opened: VectorIndex[] = [];
  const open = async (manifest: IndexManifest, space: SpaceManifest) => {
    const index = await loadSpace(indexDir, manifest, space);
    opened.push(index);
    return index;
  };
  try {
    const indexManifest = await readIndexManifest(indexDir);
    const dataset = await datasetFor(indexManifest, options);
    assertIndexMatches(indexManifest, model.manifest, dataset, join(indexDir, INDEX_MANIFEST));
    const code = await open(indexManifest, indexManifest.code);
    const pixel =
      indexManifest.pixel && options.pixel !== false
        ? await open(indexManifest, indexManifest.pixel)
        : undefined;
    const codes = await loadCodes(indexDir, indexManifest);
    return {
      dataset,
      indexManifest,
      modelManifest: model.manifest,
      encoder: model.encoder,
      decoder: model.decoder,
      codes,
      indexes: pixel ? { code, pixel } : { code },
    };
  } catch (err) {
    for (const index of opened) index.dispose();
    if (!options.model) disposeModel(model);
    throw err;
  }
}

function disposeModel(model: Pick<OpenedIndex, 'encoder' | 'decoder'>): void {
  model.encoder.dispose();
  model.decoder.dispose();
}

/** Frees an opened index now: the model's tensors and the native memory of its HNSW indexes. */
export function closeIndex(index: OpenedIndex): void {
  disposeModel(index);
  index.indexes.code.dispose();
  index.indexes.pixel?.dispose();
}
