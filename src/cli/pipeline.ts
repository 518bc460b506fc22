/**
 * Training and indexing with progress bars and log lines, shared by `aesearch train`, `aesearch index`
 * and `aesearch start` (which trains and indexes with the default settings when index/ is empty).
 */

import { join } from 'node:path';
import { Catalogue } from '../collection/catalogue.js';
import { catalogueFor, type SeededCatalogue, type SeedSource } from '../collection/seed.js';
import type { Config } from '../config.js';
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import type { InputFormat } from '../image/preprocess.js';
import { loadModel, MODEL_MANIFEST, type ModelManifest } from '../model/store.js';
import { type BuildStage, buildIndex } from '../store/build-index.js';
import { removeUnnamed } from '../store/folder-cleanup.js';
import { INDEX_MANIFEST, type IndexManifest, readIndexManifest } from '../store/manifest.js';
import { type PublishReport, type PublishStage, publishIndex } from '../store/pg/publish.js';
import { DEFAULT_HNSW, type Metric } from '../store/vector-index.js';
import type { BackendInfo } from '../tfjs/backend.js';
import type { TrainConfig } from '../train/train-config.js';
import { runTraining, type TrainRunResult } from '../train/train-run.js';
import type { TrainCallbacks } from '../train/trainer.js';
import { log } from './context.js';
import { type Bar, startBar } from './progress.js';

/** How to index: the index command's flags. */
export interface IndexSettings {
  m: number;
  efConstruction: number;
  efSearch: number;
  metric: Metric;
  pixel: boolean;
}

/** The index command's defaults. */
export const DEFAULT_INDEX_SETTINGS: Readonly<IndexSettings> = Object.freeze({
  m: DEFAULT_HNSW.m,
  efConstruction: DEFAULT_HNSW.efConstruction,
  efSearch: DEFAULT_HNSW.efSearch,
  metric: 'l2',
  pixel: true,
});

/** A progress bar per epoch (batches, loss) and a log line after each. */
function progressCallbacks(epochs: number): TrainCallbacks & { stop(): void } {
  let bar: Bar | undefined;
  return {
    onBatchEnd: ({ epoch, batch, batches, loss }) => {
      bar ??= startBar(`epoch ${epoch}/${epochs}`, batches, 'loss {loss}');
      bar.update(batch, { loss: loss.toFixed(5) });
    },
    onEpochEnd: (e) => {
      bar?.stop();
      bar = undefined;
      const val = e.valLoss === null ? '' : `, val ${e.valLoss.toFixed(5)}`;
      const held = e.heldOutPrecision === undefined ? '' : `, held-out p@10 ${e.heldOutPrecision.toFixed(3)}`;
      log(`epoch ${e.epoch}: loss ${e.loss.toFixed(5)}${val}${held}, ${e.imagesPerSecond.toFixed(0)} img/s`);
    },
    stop: () => bar?.stop(),
  };
}

/**
 * Trains a model as `train` says on `dataset` into the index folder, with a progress bar per epoch and a
 * log line after it. Then removes the model folders that neither manifest on disk names (the current
 * index's model stays: a server may still load it).
 */
export async function trainWithProgress(
  config: Config,
  backend: BackendInfo,
  dataset: Dataset,
  train: TrainConfig,
  machineImgPerS: number | null = null,
): Promise<TrainRunResult> {
  const { arch } = train;
  const preset = train.preset ? ` (preset ${train.preset})` : '';
  log(
    `training ${arch.arch} autoencoder${preset}, code ${arch.codeSize}, on ${dataset.database.count} images, ${train.epochs} epochs`,
  );
  const progress = progressCallbacks(train.epochs);
  try {
    const context = { indexDir: config.indexDir, dataset, backend: backend.name, machineImgPerS };
    const result = await runTraining(train, context, {
      onBatchEnd: progress.onBatchEnd,
      onEpochEnd: progress.onEpochEnd,
      onPseudoLabels: (p) =>
        log(
          `epoch ${p.epoch}: pseudo-labels for ${p.images} images, spread from ${p.from} labels over the code kNN graph (${p.seconds.toFixed(0)} s)`,
        ),
    });
    await removeUnnamed(config.indexDir, (name) => name.startsWith('model-'));
    return result;
  } finally {
    progress.stop();
  }
}

const STAGE_LABELS: Record<BuildStage, string> = {
  embed: 'embedding',
  code: 'code index',
  pixel: 'pixel index',
};

function describeFormat(format: Pick<InputFormat, 'side' | 'channels'>): string {
  return `${format.side}x${format.side} ${format.channels === 3 ? 'colour' : 'grayscale'}`;
}

/** Throws BAD_OPTION when the model was trained on another image format than the collection holds. */
function assertModelTakes(model: ModelManifest, format: InputFormat, file: string): void {
  const arch = model.arch;
  if (arch.side === format.side && arch.channels === format.channels) return;
  throw createError('BAD_OPTION', {
    name: 'the image format (--image-size, --gray)',
    expected: `the model's input, ${describeFormat(arch)} (${file})`,
    got: `${describeFormat(format)}; give the flags the model was trained with, or train again with these`,
  });
}

/** The catalogue file the index in `indexDir` names, or null when there is no readable index. */
async function currentCatalogue(indexDir: string): Promise<string | null> {
  try {
    return (await readIndexManifest(indexDir)).catalogue;
  } catch {
    return null;
  }
}

/** Publishes the build in `indexDir` into the PostgreSQL store at `url`, with a progress bar per stage. */
export async function publishWithProgress(url: string, indexDir: string): Promise<PublishReport> {
  const labels: Record<PublishStage, string> = {
    copy: 'copying items to the store',
    codes: 'storing codes',
    embed: 'embedding items added since',
  };
  const bars: Partial<Record<PublishStage, Bar>> = {};
  try {
    return await publishIndex(url, indexDir, (stage, done, total) => {
      const bar = bars[stage] ?? startBar(labels[stage], total);
      bars[stage] = bar;
      bar.update(done, undefined, total);
    });
  } finally {
    for (const bar of Object.values(bars)) bar.stop();
  }
}

/** How `indexWithProgress` finds the collection: seeded from data, or as it is (`--compact`). */
export type IndexSource = { readonly seed: SeedSource } | { readonly compact: true };

/**
 * Loads the index folder's model (NO_MODEL before anything else), then the collection: the catalogue
 * the index names when it holds `source`'s collection (or always, to compact), else one seeded from it;
 * and builds its indexes with a progress bar per stage.
 */
export async function indexWithProgress(
  config: Config,
  backend: BackendInfo,
  source: IndexSource,
  settings: Readonly<IndexSettings>,
): Promise<IndexManifest> {
  const model = await loadModel(config.indexDir);
  const bars: Partial<Record<BuildStage | 'seed', Bar>> = {};
  const progress = (stage: BuildStage | 'seed', label: string) => (done: number, total: number) => {
    const bar = bars[stage] ?? startBar(label, total);
    bars[stage] = bar;
    bar.update(done);
    if (done === total) bar.stop();
  };
  let opened: SeededCatalogue | undefined;
  try {
    const current = await currentCatalogue(config.indexDir);
    if ('compact' in source) {
      if (current === null) throw createError('NO_INDEX', { where: join(config.indexDir, INDEX_MANIFEST) });
      const catalogue = Catalogue.open(join(config.indexDir, current));
      const meta = catalogue.meta();
      if (!meta)
        throw createError('COLLECTION_CORRUPT', { where: catalogue.file, why: 'it was never seeded' });
      opened = { catalogue, meta, seeded: false };
    } else {
      opened = await catalogueFor(config.indexDir, current, source.seed, {
        onProgress: progress('seed', 'adding images'),
        onSkip: (file, reason) => log(`skipped ${file}: ${reason}`),
      });
    }
    const { catalogue, meta } = opened;
    assertModelTakes(model.manifest, meta, join(config.indexDir, MODEL_MANIFEST));
    log(`collection: ${meta.name} (${catalogue.count()} items${opened.seeded ? ', seeded now' : ''})`);
    const manifest = await buildIndex({
      indexDir: config.indexDir,
      catalogue,
      meta,
      model,
      params: {
        ...DEFAULT_HNSW,
        m: settings.m,
        efConstruction: settings.efConstruction,
        efSearch: settings.efSearch,
      },
      codeMetric: settings.metric,
      pixel: settings.pixel,
      backend: backend.name,
      onProgress: (stage, done, total) => progress(stage, STAGE_LABELS[stage])(done, total),
    });
    const pixel = manifest.pixel
      ? `, pixel index ${manifest.pixel.buildSeconds.toFixed(1)} s`
      : ', no pixel index';
    log(
      `embedded ${manifest.collection.count} images in ${manifest.embedSeconds.toFixed(1)} s, ` +
        `code index ${manifest.code.buildSeconds.toFixed(1)} s${pixel}`,
    );
    return manifest;
  } finally {
    opened?.catalogue.close();
    for (const bar of Object.values(bars)) bar.stop();
    model.encoder.dispose();
    model.decoder.dispose();
  }
}
