/**
 * Training and indexing with progress bars and log lines, shared by `aesearch train`, `aesearch index`
 * and `aesearch start` (which trains and indexes with the default settings when index/ is empty).
 */

import type { Config } from '../config.js';
import type { Dataset } from '../dataset/types.js';
import { loadModel } from '../model/store.js';
import { type BuildStage, buildIndex } from '../store/build-index.js';
import type { IndexManifest } from '../store/manifest.js';
import { DEFAULT_HNSW, type Metric } from '../store/vector-index.js';
import type { BackendInfo } from '../tfjs/backend.js';
import { parseThreads } from '../train/parallel/index.js';
import { runTraining, type TrainRunResult } from '../train/train-run.js';
import { resolveTrainSettings, type TrainSettings } from '../train/train-settings.js';
import type { TrainCallbacks } from '../train/trainer.js';
import { log } from './context.js';
import { type Bar, startBar } from './progress.js';

/** How to train: the train command's flags (resolved over a preset and the defaults by the model layer). */
export type { TrainSettings };

/** Training with every setting at its default (see model/train-settings.ts), as `aesearch start` does. */
export const DEFAULT_TRAIN_SETTINGS: Readonly<TrainSettings> = Object.freeze({});

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
 * Trains a model on `dataset` into the index folder, with a progress bar per epoch and a log line after
 * it. Settings resolve over their preset, then the defaults; throws BAD_OPTION for a bad combination.
 */
export async function trainWithProgress(
  config: Config,
  backend: BackendInfo,
  dataset: Dataset,
  settings: Readonly<TrainSettings>,
): Promise<TrainRunResult> {
  const plan = resolveTrainSettings(settings, dataset.side);
  const { arch } = plan;
  const preset = plan.preset ? ` (preset ${plan.preset})` : '';
  log(
    `training ${arch.arch} autoencoder${preset}, code ${arch.codeSize}, on ${dataset.database.count} images, ${plan.epochs} epochs`,
  );
  const progress = progressCallbacks(plan.epochs);
  try {
    return await runTraining(
      {
        indexDir: config.indexDir,
        dataset,
        arch,
        epochs: plan.epochs,
        batchSize: plan.batchSize,
        learningRate: plan.learningRate,
        lrDecay: plan.lrDecay,
        seed: plan.seed,
        resume: settings.resume ?? false,
        backend: backend.name,
        preset: plan.preset,
        labels: plan.labels,
        threads: parseThreads(settings.threads ?? 'auto'),
        ...(settings.steps ? { maxBatchesPerEpoch: settings.steps } : {}),
      },
      { onBatchEnd: progress.onBatchEnd, onEpochEnd: progress.onEpochEnd },
    );
  } finally {
    progress.stop();
  }
}

const STAGE_LABELS: Record<BuildStage, string> = {
  embed: 'embedding',
  code: 'code index',
  pixel: 'pixel index',
};

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
