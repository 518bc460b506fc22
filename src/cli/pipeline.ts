/**
 * Training and indexing with progress bars and log lines, shared by `aesearch train`, `aesearch index`
 * and `aesearch start` (which trains and indexes with the default settings when index/ is empty).
 */

import { join } from 'node:path';
import type { Config } from '../config.js';
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import type { InputFormat } from '../image/preprocess.js';
import { loadModel, MODEL_MANIFEST, type ModelManifest } from '../model/store.js';
import { type BuildStage, buildIndex } from '../store/build-index.js';
import { removeUnnamedDirs } from '../store/folder-cleanup.js';
import type { IndexManifest } from '../store/manifest.js';
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
): Promise<TrainRunResult> {
  const { arch } = train;
  const preset = train.preset ? ` (preset ${train.preset})` : '';
  log(
    `training ${arch.arch} autoencoder${preset}, code ${arch.codeSize}, on ${dataset.database.count} images, ${train.epochs} epochs`,
  );
  const progress = progressCallbacks(train.epochs);
  try {
    const context = { indexDir: config.indexDir, dataset, backend: backend.name };
    const result = await runTraining(train, context, {
      onBatchEnd: progress.onBatchEnd,
      onEpochEnd: progress.onEpochEnd,
    });
    await removeUnnamedDirs(config.indexDir, (name) => name.startsWith('model-'));
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

/** Throws BAD_OPTION when the model was trained on another image format than the dataset is read in. */
function assertModelTakes(model: ModelManifest, format: InputFormat, file: string): void {
  const arch = model.arch;
  if (arch.side === format.side && arch.channels === format.channels) return;
  throw createError('BAD_OPTION', {
    name: 'the image format (--image-size, --gray)',
    expected: `the model's input, ${describeFormat(arch)} (${file})`,
    got: `${describeFormat(format)}; give the flags the model was trained with, or train again with these`,
  });
}

/**
 * Loads the index folder's model (NO_MODEL before anything else), then the dataset from `openData`, and
 * builds its indexes with a progress bar per stage.
 */
export async function indexWithProgress(
  config: Config,
  backend: BackendInfo,
  openData: () => Promise<Dataset>,
  settings: Readonly<IndexSettings>,
): Promise<IndexManifest> {
  const model = await loadModel(config.indexDir);
  const bars: Partial<Record<BuildStage, Bar>> = {};
  try {
    const dataset = await openData();
    assertModelTakes(model.manifest, dataset.format, join(config.indexDir, MODEL_MANIFEST));
    const manifest = await buildIndex({
      indexDir: config.indexDir,
      dataset,
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
      onProgress: (stage, done, total) => {
        const bar = bars[stage] ?? startBar(STAGE_LABELS[stage], total);
        bars[stage] = bar;
        bar.update(done);
        if (done === total) bar.stop();
      },
    });
    const pixel = manifest.pixel
      ? `, pixel index ${manifest.pixel.buildSeconds.toFixed(1)} s`
      : ', no pixel index';
    log(
      `embedded ${manifest.dataset.count} images in ${manifest.embedSeconds.toFixed(1)} s, ` +
        `code index ${manifest.code.buildSeconds.toFixed(1)} s${pixel}`,
    );
    return manifest;
  } finally {
    for (const bar of Object.values(bars)) bar.stop();
    model.encoder.dispose();
    model.decoder.dispose();
  }
}
