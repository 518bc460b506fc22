/**
 * Builds the vector indexes for a dataset: embeds every database image with the encoder while a worker
 * thread inserts the codes into the HNSW index as they arrive (both cores busy), builds the raw-pixel
 * index when asked, writes everything into a fresh `index/ann-<id>/`, then renames the manifest into
 * place. The previous index stays intact until that last rename.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { toFloatImages } from '../dataset/float-images.js';
import type { Dataset } from '../dataset/types.js';
import { describePreprocessing, imageBytes } from '../image/preprocess.js';
import { embedImages } from '../model/encoder.js';
import type { LoadedModel } from '../model/store.js';
import { fsyncDir, removeOrphanTemps, writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { sha256File } from '../util/file-hash.js';
import { BackgroundBuild } from './background-build.js';
import { removeUnnamedDirs } from './folder-cleanup.js';
import { INDEX_MANIFEST, type IndexManifest, type SpaceManifest } from './manifest.js';
import type { HnswParams, Metric } from './vector-index.js';

/** Stages reported by `buildIndex`. */
export type BuildStage = 'embed' | 'code' | 'pixel';

/** What to build and how. */
export interface BuildIndexOptions {
  readonly indexDir: string;
  readonly dataset: Dataset;
  readonly model: LoadedModel;
  readonly params: HnswParams;
  readonly codeMetric: Metric;
  /** Also build the raw-pixel index (for comparison). */
  readonly pixel: boolean;
  readonly backend: string;
  readonly onProgress?: (stage: BuildStage, done: number, total: number) => void;
}

/** Pixel vectors handed to the worker per message. */
const PIXEL_CHUNK = 4096;

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

function startPixelBuild(
  images: Float32Array,
  area: number,
  count: number,
  options: BuildIndexOptions,
): BackgroundBuild {
  const build = new BackgroundBuild(area, 'l2', options.params, count, (d) =>
    options.onProgress?.('pixel', d, count),
  );
  for (let start = 0; start < count; start += PIXEL_CHUNK) {
    build.add(start, images.subarray(start * area, Math.min(count, start + PIXEL_CHUNK) * area));
  }
  return build;
}

/** Builds and writes a complete index; returns its manifest. */
export async function buildIndex(options: BuildIndexOptions): Promise<IndexManifest> {
  const { dataset, model, params, indexDir } = options;
  const started = performance.now();
  const count = dataset.database.count;
  const area = imageBytes(dataset.format);
  const codeSize = model.manifest.codeSize;
  const id = `ann-${new Date().toISOString().replace(/[-:.TZ]/g, '')}-${process.pid}`;
  const dir = join(indexDir, id);
  await mkdir(dir, { recursive: true });

  const images = toFloatImages(dataset.database);
  const codeBuild = new BackgroundBuild(codeSize, options.codeMetric, params, count, (d) =>
    options.onProgress?.('code', d, count),
  );
  let pixelBuild: BackgroundBuild | undefined;
  try {
    const codes = await embedImages(model.encoder, images, count, (start, batch) => {
      codeBuild.add(start, batch);
      options.onProgress?.('embed', start + batch.length / codeSize, count);
    });
    const embedSeconds = (performance.now() - started) / 1000;
    pixelBuild = options.pixel ? startPixelBuild(images, area, count, options) : undefined;
    const codesFile = 'codes.f32';
    await writeFileAtomic(
      join(dir, codesFile),
      new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength),
    );
    const code = await finishSpace(codeBuild, dir, 'code.hnsw', codeSize, options.codeMetric, params);
    const pixel = pixelBuild ? await finishSpace(pixelBuild, dir, 'pixel.hnsw', area, 'l2', params) : null;
    await fsyncDir(dir);
    const manifest: IndexManifest = {
      version: 2,
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
      preprocessing: describePreprocessing(dataset.format),
      code,
      pixel,
      codesFile,
      codesSha256: await sha256File(join(dir, codesFile)),
      backend: options.backend,
      embedSeconds,
      totalSeconds: (performance.now() - started) / 1000,
      builtAt: new Date().toISOString(),
    };
    await writeJsonAtomic(join(indexDir, INDEX_MANIFEST), manifest);
    await removeUnnamedDirs(indexDir, (name) => name.startsWith('ann-'));
    await removeOrphanTemps(indexDir);
    return manifest;
  } catch (err) {
    await Promise.all([codeBuild.cancel(), pixelBuild?.cancel()]);
    await removeUnnamedDirs(indexDir, (name) => name === id);
    throw err;
  }
}
