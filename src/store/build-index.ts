/**
 * Builds the vector indexes of a collection: embeds every item's model input with the encoder (reusing
 * the codes the catalogue already holds for this model) while a worker thread inserts the codes into the
 * HNSW index under the items' ids (both cores busy), builds the raw-pixel index when asked, writes
 * everything into a fresh `index/ann-<id>/`, then renames the manifest into place. The previous index
 * stays intact until that last rename; codes are stored per model, so a failed build leaves the codes of
 * the model in use untouched. Changes made while it runs are after its `changesSeq`: servers replay them.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Catalogue, CollectionMeta } from '../collection/catalogue.js';
import { createCatalogue, datasetMeta, seedDataset } from '../collection/seed.js';
import type { Dataset } from '../dataset/types.js';
import { toUnitFloat } from '../image/preprocess.js';
import { embedImages } from '../model/encoder.js';
import type { LoadedModel } from '../model/store.js';
import { fsyncDir, removeOrphanTemps, writeJsonAtomic } from '../util/atomic-fs.js';
import { sha256File } from '../util/file-hash.js';
import { BackgroundBuild } from './background-build.js';
import { CollectionProfile } from './collection-profile.js';
import { removeUnnamed } from './folder-cleanup.js';
import { INDEX_MANIFEST, type IndexManifest, type SpaceManifest } from './manifest.js';
import type { HnswParams, Metric } from './vector-index.js';

/** Stages reported by `buildIndex`. */
export type BuildStage = 'embed' | 'code' | 'pixel';

/** What to build and how. */
export interface BuildIndexOptions {
  readonly indexDir: string;
  /** The collection, opened for writing (codes are stored in it). */
  readonly catalogue: Catalogue;
  readonly meta: CollectionMeta;
  readonly model: LoadedModel;
  readonly params: HnswParams;
  readonly codeMetric: Metric;
  /** Also build the raw-pixel index (for comparison). */
  readonly pixel: boolean;
  readonly backend: string;
  readonly onProgress?: (stage: BuildStage, done: number, total: number) => void;
}

/** Items read from the catalogue per batch. */
const READ_BATCH = 4096;

async function finishSpace(
  build: BackgroundBuild,
  dir: string,
  file: string,
  dims: number,
  metric: Metric,
  params: HnswParams,
): Promise<SpaceManifest> {
  const result = await build.finish(join(dir, file));
  const { size } = await stat(join(dir, file));
  const sha256 = await sha256File(join(dir, file));
  return {
    file,
    dims,
    metric,
    count: result.count,
    params,
    buildSeconds: result.buildSeconds,
    bytes: size,
    sha256,
  };
}

/** The codes of one batch: those stored for this model, the others embedded now (and stored). */
async function batchCodes(
  options: BuildIndexOptions,
  ids: Int32Array,
  inputs: Uint8Array,
  area: number,
): Promise<Float32Array> {
  const { catalogue, model } = options;
  const codeSize = model.manifest.codeSize;
  const hash = model.manifest.weightsHash;
  const codes = new Float32Array(ids.length * codeSize);
  const missing: number[] = [];
  ids.forEach((id, i) => {
    const stored = catalogue.code(hash, id);
    if (stored && stored.length === codeSize) codes.set(stored, i * codeSize);
    else missing.push(i);
  });
  if (missing.length === 0) return codes;
  const images = new Float32Array(missing.length * area);
  missing.forEach((row, j) => {
    toUnitFloat(inputs.subarray(row * area, (row + 1) * area), images.subarray(j * area, (j + 1) * area));
  });
  const fresh = await embedImages(model.encoder, images, missing.length);
  const rows: [number, Float32Array][] = missing.map((row, j) => {
    const code = fresh.subarray(j * codeSize, (j + 1) * codeSize);
    codes.set(code, row * codeSize);
    return [ids[row] ?? -1, code];
  });
  catalogue.setCodes(hash, rows);
  return codes;
}

/** Builds and writes a complete index of the collection; returns its manifest. */
export async function buildIndex(options: BuildIndexOptions): Promise<IndexManifest> {
  const { catalogue, meta, model, params, indexDir } = options;
  const started = performance.now();
  const changesSeq = catalogue.lastSeq();
  const count = catalogue.count();
  const area = meta.side * meta.side * meta.channels;
  const codeSize = model.manifest.codeSize;
  const id = `ann-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${process.pid}`;
  const dir = join(indexDir, id);
  await mkdir(dir, { recursive: true });

  const codeBuild = new BackgroundBuild(codeSize, options.codeMetric, params, count, (d) =>
    options.onProgress?.('code', d, count),
  );
  let pixelBuild: BackgroundBuild | undefined;
  const profile = new CollectionProfile(catalogue.labelsById(), model, meta, params.seed);
  try {
    const batches: { ids: Int32Array; inputs: Uint8Array }[] = [];
    let embedded = 0;
    for (const { ids, inputs } of catalogue.inputBatches(READ_BATCH)) {
      const codes = await batchCodes(options, ids, inputs, area);
      codeBuild.add(ids, codes);
      await profile.add(ids, codes, inputs, area);
      if (options.pixel) batches.push({ ids, inputs });
      embedded += ids.length;
      options.onProgress?.('embed', embedded, count);
    }
    const embedSeconds = (performance.now() - started) / 1000;
    if (options.pixel) {
      pixelBuild = new BackgroundBuild(area, 'l2', params, embedded, (d) =>
        options.onProgress?.('pixel', d, embedded),
      );
      for (const { ids, inputs } of batches) pixelBuild.add(ids, toUnitFloat(inputs));
    }
    // Laid out while the workers still insert: both cores busy.
    const { unusual, map } = await profile.finish(dir);
    const code = await finishSpace(codeBuild, dir, 'code.hnsw', codeSize, options.codeMetric, params);
    const pixel = pixelBuild ? await finishSpace(pixelBuild, dir, 'pixel.hnsw', area, 'l2', params) : null;
    await fsyncDir(dir);
    const manifest: IndexManifest = {
      version: 3,
      dir: id,
      catalogue: catalogue.name,
      changesSeq,
      model: {
        weightsHash: model.manifest.weightsHash,
        dir: model.manifest.dir,
        arch: model.manifest.arch,
        codeSize,
      },
      collection: { name: meta.name, origin: meta.origin, count: embedded },
      preprocessing: meta,
      code,
      pixel,
      unusual,
      map,
      backend: options.backend,
      embedSeconds,
      totalSeconds: (performance.now() - started) / 1000,
      builtAt: new Date().toISOString(),
    };
    await writeJsonAtomic(join(indexDir, INDEX_MANIFEST), manifest);
    catalogue.dropCodesExcept(model.manifest.weightsHash);
    await removeUnnamed(indexDir, (name) => name.startsWith('ann-') || name.startsWith('collection-'));
    await removeOrphanTemps(indexDir);
    return manifest;
  } catch (err) {
    await Promise.all([codeBuild.cancel(), pixelBuild?.cancel()]);
    await removeUnnamed(indexDir, (name) => name === id);
    throw err;
  }
}

/**
 * Seeds a new catalogue in `options.indexDir` with `dataset`'s database and builds its index: the whole
 * pipeline of `aesearch index` for a dataset already in memory (the benchmarks, the tests).
 */
export async function buildDatasetIndex(
  dataset: Dataset,
  options: Omit<BuildIndexOptions, 'catalogue' | 'meta'>,
): Promise<IndexManifest> {
  const meta = datasetMeta(dataset);
  const catalogue = createCatalogue(options.indexDir, meta);
  try {
    seedDataset(catalogue, dataset);
    catalogue.setSeedFingerprint(dataset.fingerprint);
    return await buildIndex({ ...options, catalogue, meta });
  } finally {
    catalogue.close();
  }
}
