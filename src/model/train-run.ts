/**
 * A whole `aesearch train` run: build (or resume) the model, train it, and after every epoch write a
 * checkpoint, a PNG grid of originals above reconstructions and the loss history; at the end save the
 * encoder and decoder with their manifest into the index folder.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { readIndexManifest } from '../ann/manifest.js';
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import { encodeGridPng } from '../image/preprocess.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { type ArchConfig, type Autoencoder, buildAutoencoder } from './architectures/index.js';
import { gatherBatch } from './batches.js';
import { readCheckpointState, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { createLocalRunner } from './step-runner.js';
import { type ModelManifest, saveModel } from './store.js';
import { type EpochLog, type TrainCallbacks, type TrainOptions, trainAutoencoder } from './trainer.js';

/** Folder under the index folder for checkpoints, pictures and history. */
export const TRAIN_DIR = 'train';

/** Images shown in each epoch's reconstruction grid. */
const GRID_IMAGES = 10;

/** Everything a run needs. */
export interface TrainRunOptions extends TrainOptions {
  readonly indexDir: string;
  readonly dataset: Dataset;
  readonly arch: ArchConfig;
  readonly resume: boolean;
  readonly backend: string;
  readonly preset: string | null;
}

/** What a run produced. */
export interface TrainRunResult {
  readonly manifest: ModelManifest;
  readonly history: readonly EpochLog[];
  readonly trainDir: string;
}

function sameArch(a: ArchConfig, b: ArchConfig): string | null {
  for (const key of Object.keys(a) as (keyof ArchConfig)[]) {
    if (JSON.stringify(a[key]) !== JSON.stringify(b[key])) return key;
  }
  return null;
}

async function writeReconGrid(model: Autoencoder, dataset: Dataset, file: string): Promise<void> {
  const side = dataset.side;
  const area = side * side;
  const source = dataset.queries.count > 0 ? dataset.queries : dataset.database;
  const n = Math.min(GRID_IMAGES, source.count);
  const idx = Array.from({ length: n }, (_, i) => i);
  const x = gatherBatch(source, idx, area);
  const recon = tf.tidy(() => {
    const t = tf.tensor2d(x, [n, area]);
    return (
      model.decoder.predict(model.encoder.predict(t) as tf.Tensor) as tf.Tensor
    ).dataSync() as Float32Array;
  });
  const tiles = (data: Float32Array) =>
    idx.map((i) =>
      Uint8Array.from(data.subarray(i * area, (i + 1) * area), (v) =>
        Math.round(Math.min(1, Math.max(0, v)) * 255),
      ),
    );
  await writeFileAtomic(file, await encodeGridPng([tiles(x), tiles(recon)], side, 3));
}

/** Runs training end to end; `callbacks` see every batch and epoch (after files are written). */
export async function runTraining(
  options: TrainRunOptions,
  callbacks: TrainCallbacks = {},
): Promise<TrainRunResult> {
  const { dataset, indexDir } = options;
  const trainDir = join(indexDir, TRAIN_DIR);
  const checkpointDir = join(trainDir, 'checkpoint');
  const model = buildAutoencoder(options.arch);
  const optimizer = tf.train.adam(options.learningRate);
  const runner = createLocalRunner(model, optimizer);
  let history: EpochLog[] = [];
  let startEpoch = 0;
  const started = performance.now();
  try {
    if (options.resume) {
      const state = await readCheckpointState(checkpointDir);
      const differs = sameArch(state.arch, options.arch);
      if (differs)
        throw createError(
          'CHECKPOINT_MISMATCH',
          differs,
          JSON.stringify(state.arch[differs as keyof ArchConfig]),
          JSON.stringify(options.arch[differs as keyof ArchConfig]),
        );
      if (state.dataset.fingerprint !== dataset.fingerprint)
        throw createError('CHECKPOINT_MISMATCH', 'dataset', state.dataset.name, dataset.name);
      await restoreCheckpoint(checkpointDir, state, model, optimizer);
      history = [...state.history];
      startEpoch = state.epoch;
    }
    const logs = await trainAutoencoder(
      model,
      dataset.database,
      dataset.queries,
      { ...options, startEpoch },
      runner,
      {
        onBatchEnd: callbacks.onBatchEnd,
        onEpochEnd: async (log) => {
          history.push(log);
          await saveCheckpoint(checkpointDir, model, optimizer, {
            arch: options.arch,
            options: { batchSize: options.batchSize, learningRate: options.learningRate, seed: options.seed },
            epoch: log.epoch,
            history,
            dataset: { name: dataset.name, fingerprint: dataset.fingerprint },
          });
          await writeReconGrid(
            model,
            dataset,
            join(trainDir, `recon-epoch-${String(log.epoch).padStart(3, '0')}.png`),
          );
          await writeJsonAtomic(join(trainDir, 'history.json'), history);
          await callbacks.onEpochEnd?.(log);
        },
      },
    );
    const last = history[history.length - 1];
    const seconds = (performance.now() - started) / 1000;
    const images = logs.reduce((s, l) => s + l.imagesPerSecond * l.seconds, 0);
    const keep = await readIndexManifest(indexDir).then(
      (m) => [m.model.dir],
      () => [],
    );
    const manifest = await saveModel(
      indexDir,
      model.encoder,
      model.decoder,
      {
        arch: options.arch,
        codeSize: options.arch.codeSize,
        inputShape: [options.arch.side, options.arch.side, 1],
        dataset: {
          name: dataset.name,
          fingerprint: dataset.fingerprint,
          count: dataset.database.count,
          origin: dataset.origin,
        },
        backend: options.backend,
        training: {
          epochs: options.epochs,
          batchSize: options.batchSize,
          learningRate: options.learningRate,
          seed: options.seed,
          seconds,
          imagesPerSecond: seconds > 0 ? images / seconds : 0,
          preset: options.preset,
        },
        finalLoss: { train: last?.loss ?? Number.NaN, val: last?.valLoss ?? null },
      },
      keep,
    );
    return { manifest, history, trainDir };
  } finally {
    await runner.dispose();
    model.dispose();
    optimizer.dispose();
  }
}
