/**
 * Builds the vector indexes for a dataset: embeds every database image with the encoder, builds the
 * HNSW index of codes (and, when asked, of raw pixels), writes them into a fresh `index/ann-<id>/`,
 * then renames the manifest into place. The previous index stays intact until that last rename.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../dataset/types.js';
import { embedImages } from '../encoder.js';
import { PREPROCESSING } from '../image/preprocess.js';
import { toFloatImages } from '../model/batches.js';
import { type LoadedModel, removeStaleDirs } from '../model/store.js';
import { fsyncDir, writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { INDEX_MANIFEST, type IndexManifest, type SpaceManifest } from './manifest.js';
import { type HnswParams, type SpaceName, VectorIndex } from './vector-index.js';

/** Stages reported by `buildIndex`. */
export type BuildStage = 'embed' | 'code' | 'pixel';

/** What to build and how. */
export interface BuildIndexOptions {
  readonly indexDir: string;
  readonly dataset: Dataset;
  readonly model: LoadedModel;
  readonly params: HnswParams;
  readonly codeSpace: SpaceName;
  /** Also build the raw-pixel index (for comparison). */
  readonly pixel: boolean;
  readonly backend: string;
  readonly onProgress?: (stage: BuildStage, done: number, total: number) => void;
}

async function buildSpace(
  dir: string,
  file: string,
  vectors: Float32Array,
  dims: number,
  space: SpaceName,
  params: HnswParams,
  onProgress: (done: number) => void,
): Promise<SpaceManifest> {
  const started = performance.now();
  const index = await VectorIndex.build(vectors, dims, space, params, onProgress);
  const buildSeconds = (performance.now() - started) / 1000;
  await index.save(join(dir, file));
  const { size } = await stat(join(dir, file));
  return { file, dims, space, count: index.count, params, buildSeconds, bytes: size };
}

/** Builds and writes a complete index; returns its manifest. */
export async function buildIndex(options: BuildIndexOptions): Promise<IndexManifest> {
  const { dataset, model, params, indexDir } = options;
  const started = performance.now();
  const count = dataset.database.count;
  const progress = options.onProgress ?? (() => {});
  const id = `ann-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${process.pid}`;
  const dir = join(indexDir, id);
  await mkdir(dir, { recursive: true });

  const images = toFloatImages(dataset.database);
  const codes = await embedImages(model.encoder, images, count, (done) => progress('embed', done, count));
  const embedSeconds = (performance.now() - started) / 1000;
  const codeSize = model.manifest.codeSize;
  const codesFile = 'codes.f32';
  await writeFileAtomic(
    join(dir, codesFile),
    new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength),
  );
  const code = await buildSpace(dir, 'code.hnsw', codes, codeSize, options.codeSpace, params, (d) =>
    progress('code', d, count),
  );
  const side = dataset.side;
  const pixel = options.pixel
    ? await buildSpace(dir, 'pixel.hnsw', images, side * side, 'l2', params, (d) =>
        progress('pixel', d, count),
      )
    : null;
  await fsyncDir(dir);

  const manifest: IndexManifest = {
    version: 1,
    dir: id,
    model: {
      weightsHash: model.manifest.weightsHash,
      dir: model.manifest.dir,
      arch: model.manifest.arch,
      codeSize,
    },
    dataset: {
      name: dataset.name,
      fingerprint: dataset.fingerprint,
      count,
      origin: dataset.origin,
      split: dataset.split,
    },
    preprocessing: { ...PREPROCESSING, side },
    code,
    pixel,
    codesFile,
    backend: options.backend,
    embedSeconds,
    totalSeconds: (performance.now() - started) / 1000,
    builtAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(indexDir, INDEX_MANIFEST), manifest);
  await removeStaleDirs(indexDir, 'ann-', [id]);
  return manifest;
}
