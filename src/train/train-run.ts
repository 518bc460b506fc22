/**
 * A whole `aesearch train` run: build (or resume) the model, train it, and after every epoch write a
 * checkpoint, a PNG grid of originals above reconstructions and the loss history; at the end save the
 * encoder and decoder with their manifest into the index folder.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../dataset/float-images.js';
import type { Dataset } from '../dataset/types.js';
import { encodeGridPng } from '../image/png.js';
import { imageBytes } from '../image/preprocess.js';
import { type Autoencoder, buildAutoencoder } from '../model/architectures/index.js';
import { decoderFrame } from '../model/architectures/input-steps.js';
import { withSearchNorm } from '../model/code-norm.js';
import { type LabelsSummary, type ModelManifest, saveModel } from '../model/store.js';
import { removeOrphanTemps, writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { readCheckpointState, restoreCheckpoint, saveCheckpoint } from './checkpoint.js';
import { assertSameSettings, runSettingsOf } from './checkpoint-settings.js';
import { BestWeights, heldOutPrecision, type LabelPick, pickLabelled } from './labels.js';
import { phasedLearningRate, setLearningRate } from './lr-schedule.js';
import { type ChosenRunner, createRunner } from './parallel/index.js';
import { estimatePseudoLabels } from './pseudo-labels.js';
import type { StepRunner } from './step-runner.js';
import { type LabelPlan, lastEpochBeforeSelfTraining, type TrainConfig } from './train-config.js';
import { type EpochLog, type LabelledFor, type TrainCallbacks, trainAutoencoder } from './trainer.js';

/** Folder under the index folder for checkpoints, pictures and history. */
export const TRAIN_DIR = 'train';

/** Folder under TRAIN_DIR for the checkpoint. */
const CHECKPOINT_DIR = 'checkpoint';

/** Images shown in each epoch's reconstruction grid. */
const GRID_IMAGES = 10;

/** Where a run trains and saves: what it needs besides its TrainConfig. */
export interface TrainRunContext {
  /** The index folder: the model is saved there, checkpoints and pictures under its TRAIN_DIR. */
  readonly indexDir: string;
  readonly dataset: Dataset;
  /** The tfjs backend's name, recorded in the model manifest. */
  readonly backend: string;
  /** The machine-speed figure measured before the run (bench/machine-speed.ts), recorded with its time. */
  readonly machineImgPerS?: number | null;
}

/** What a run produced. */
export interface TrainRunResult {
  readonly manifest: ModelManifest;
  readonly history: readonly EpochLog[];
  readonly trainDir: string;
  /** Steps computed on one thread and on two (`--threads auto` may switch between them). */
  readonly stepsOn: { readonly 1: number; readonly 2: number };
}

async function writeReconGrid(model: Autoencoder, dataset: Dataset, file: string): Promise<void> {
  const { side, channels } = dataset.format;
  const area = imageBytes(dataset.format);
  const source = dataset.queries.count > 0 ? dataset.queries : dataset.database;
  const n = Math.min(GRID_IMAGES, source.count);
  const idx = Array.from({ length: n }, (_, i) => i);
  const x = gatherBatch(source, idx, area);
  const seen = tf.tidy(
    () => decoderFrame(model.config, tf.tensor2d(x, [n, area])).dataSync() as Float32Array,
  );
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
  await writeFileAtomic(file, await encodeGridPng([tiles(seen), tiles(recon)], side, channels, 3));
}

/**
 * Continues from the checkpoint when `config` says so: its settings must be this run's, and its tensors
 * fill `model` and `optimizer` all or nothing; returns the history so far and the epochs done.
 */
async function resumeFrom(
  checkpointDir: string,
  config: TrainConfig,
  dataset: Dataset,
  model: Autoencoder,
  optimizer: tf.Optimizer,
): Promise<{ history: EpochLog[]; startEpoch: number }> {
  if (!config.resume) return { history: [], startEpoch: 0 };
  const state = await readCheckpointState(checkpointDir);
  assertSameSettings(checkpointDir, state, runSettingsOf(config, dataset));
  await restoreCheckpoint(checkpointDir, state, model, optimizer);
  return { history: [...state.history], startEpoch: state.epoch };
}

/**
 * Scores each epoch on the held-out labelled images, keeps the best weights, and says when to stop. With
 * self-training, only its epochs compete (and count towards patience): it is what the run is for.
 */
function labelTracker(
  config: TrainConfig,
  database: Dataset['database'],
  model: Autoencoder,
  pick: LabelPick | null,
) {
  const best = new BestWeights();
  const patience = config.labels?.patience ?? 0;
  const lastBefore = lastEpochBeforeSelfTraining(config);
  return {
    best,
    score: async (log: EpochLog): Promise<EpochLog> => {
      if (!pick || pick.heldOut.length === 0) return log;
      const score = await heldOutPrecision(model.encoder, database, pick);
      if (log.epoch > lastBefore) best.offer(score, log.epoch, model.variables);
      return { ...log, heldOutPrecision: score };
    },
    shouldStop: (epoch: number) =>
      patience > 0 && epoch > lastBefore && epoch - Math.max(best.epoch, lastBefore) >= patience,
  };
}

/** What one estimate of the pseudo-labels gave, for the caller's log. */
export interface PseudoLabelInfo {
  readonly epoch: number;
  /** Images given a pseudo-label. */
  readonly images: number;
  /** The picked labels they were spread from. */
  readonly from: number;
  readonly seconds: number;
}

/** The hooks of a run: the loop's, and one after each estimate of the pseudo-labels. */
export interface RunCallbacks extends TrainCallbacks {
  onPseudoLabels?(info: PseudoLabelInfo): void;
}

/**
 * Each epoch's labelled images: the pick's, then in the self-training epochs fresh pseudo-labels from the
 * codes as they are when the epoch starts (so a resumed run re-estimates them the same way).
 */
function labelledFor(
  config: TrainConfig,
  plan: LabelPlan,
  pick: LabelPick,
  run: { model: Autoencoder; dataset: Dataset; callbacks: RunCallbacks },
): LabelledFor {
  const first = { labelOf: pick.labelOf, indices: pick.train, perBatch: plan.perBatch };
  return async (epoch) => {
    if (epoch <= lastEpochBeforeSelfTraining(config)) return first;
    const started = performance.now();
    const pseudo = await estimatePseudoLabels(run.model.encoder, run.dataset.database, pick, plan.perBatch);
    const seconds = (performance.now() - started) / 1000;
    run.callbacks.onPseudoLabels?.({ epoch, images: pseudo.pseudo, from: pick.train.length, seconds });
    return plan.views > 1 ? { ...pseudo, views: { split: plan.splitViews } } : pseudo;
  };
}

function labelsSummary(plan: LabelPlan, pick: LabelPick, best: BestWeights): LabelsSummary {
  return {
    perClass: plan.perClass,
    perBatch: plan.perBatch,
    used: pick.train.length,
    heldOut: pick.heldOut.length,
    bestEpoch: best.epoch > 0 ? best.epoch : null,
    heldOutPrecision10: Number.isFinite(best.score) ? best.score : null,
    ...(plan.selfTrain > 0 ? { selfTrain: plan.selfTrain } : {}),
    ...(plan.views > 1 ? { views: plan.views } : {}),
    ...(plan.splitViews ? { splitViews: true } : {}),
  };
}

/** What the per-epoch hooks of a run work on. */
interface RunState {
  readonly config: TrainConfig;
  readonly dataset: Dataset;
  readonly model: Autoencoder;
  readonly optimizer: tf.Optimizer;
  readonly tracker: ReturnType<typeof labelTracker>;
  readonly history: EpochLog[];
  readonly trainDir: string;
}

/** Per epoch: set the learning rate; after it, score, checkpoint, picture, history, then the caller's hooks. */
function epochCallbacks(run: RunState, callbacks: TrainCallbacks): TrainCallbacks {
  const { config, dataset, model, optimizer, tracker, history, trainDir } = run;
  return {
    onBatchEnd: callbacks.onBatchEnd,
    onEpochStart: (epoch) => {
      const selfTrain = config.labels?.selfTrain ?? 0;
      setLearningRate(
        optimizer,
        phasedLearningRate(config.learningRate, config.lrDecay, epoch, config.epochs, selfTrain),
      );
      callbacks.onEpochStart?.(epoch);
    },
    onEpochEnd: async (raw) => {
      const log = await tracker.score(raw);
      history.push(log);
      await saveCheckpoint(join(trainDir, CHECKPOINT_DIR), model, optimizer, {
        ...runSettingsOf(config, dataset),
        epoch: log.epoch,
        history,
      });
      const picture = `recon-epoch-${String(log.epoch).padStart(3, '0')}.png`;
      await writeReconGrid(model, dataset, join(trainDir, picture));
      await writeJsonAtomic(join(trainDir, 'history.json'), history);
      await callbacks.onEpochEnd?.(log);
    },
    stopAfter: (log) => tracker.shouldStop(log.epoch),
  };
}

/** `runner`, counting into `stepsOn` the steps it computes on one thread and on two. */
function countSteps(runner: ChosenRunner, stepsOn: { 1: number; 2: number }): StepRunner {
  return {
    step: async (batch) => {
      // the runner decides where a step runs before it runs it
      const threads = runner.threads;
      const loss = await runner.step(batch);
      stepsOn[threads]++;
      return loss;
    },
    dispose: () => runner.dispose(),
  };
}

/**
 * Runs training as `config` says, in `context`'s index folder, end to end; `callbacks` see every batch
 * and epoch (after files are written).
 */
export async function runTraining(
  config: TrainConfig,
  context: TrainRunContext,
  callbacks: RunCallbacks = {},
): Promise<TrainRunResult> {
  const { dataset, indexDir } = context;
  const trainDir = join(indexDir, TRAIN_DIR);
  const model = buildAutoencoder(config.arch);
  const optimizer = tf.train.adam(config.learningRate);
  const stepsOn = { 1: 0, 2: 0 };
  const runner = createRunner(model, optimizer, { threads: config.threads, batchSize: config.batchSize });
  const plan = config.labels;
  const pick = plan ? pickLabelled(dataset.database, plan.perClass, config.seed, plan.holdout) : null;
  const tracker = labelTracker(config, dataset.database, model, pick);
  const started = performance.now();
  try {
    const checkpointDir = join(trainDir, CHECKPOINT_DIR);
    // temp files of a killed run's writes: nothing else removes them
    await removeOrphanTemps(trainDir);
    await removeOrphanTemps(checkpointDir);
    const { history, startEpoch } = await resumeFrom(checkpointDir, config, dataset, model, optimizer);
    const labelled =
      plan && pick ? labelledFor(config, plan, pick, { model, dataset, callbacks }) : undefined;
    const logs = await trainAutoencoder(
      model,
      dataset.database,
      dataset.queries,
      config,
      countSteps(runner, stepsOn),
      epochCallbacks({ config, dataset, model, optimizer, tracker, history, trainDir }, callbacks),
      { startEpoch, ...(labelled ? { labelled } : {}) },
    );
    tracker.best.restore(model.variables);
    const labels = plan && pick ? labelsSummary(plan, pick, tracker.best) : null;
    // the search normalisation may use every picked label: none of them is a query's
    const picked = pick ? Int32Array.from([...pick.train, ...pick.heldOut]) : null;
    const seconds = (performance.now() - started) / 1000;
    const manifest = await saveTrained(config, context, model, { history, logs, seconds, labels, picked });
    return { manifest, history, trainDir, stepsOn };
  } finally {
    tracker.best.dispose();
    await runner.dispose();
    model.dispose();
    optimizer.dispose();
  }
}

/** What a finished run hands to the save. */
interface Trained {
  readonly history: readonly EpochLog[];
  /** This invocation's epochs (a resumed run's history also holds the earlier ones). */
  readonly logs: readonly EpochLog[];
  readonly seconds: number;
  readonly labels: LabelsSummary | null;
  /** Database indices of every picked label, for the search normalisation; null without labels. */
  readonly picked: Int32Array | null;
}

async function saveTrained(
  config: TrainConfig,
  context: TrainRunContext,
  model: Autoencoder,
  trained: Trained,
): Promise<ModelManifest> {
  const { dataset, indexDir } = context;
  const { history, logs, seconds, labels } = trained;
  const last = history[history.length - 1];
  const images = logs.reduce((s, l) => s + l.imagesPerSecond * l.seconds, 0);
  const norm = config.arch.codeNorm;
  const saved =
    norm === 'cosine' || norm === 'whiten'
      ? await withSearchNorm(model.encoder, model.decoder, dataset.database, norm, {
          labelled: trained.picked,
          power: config.arch.whitenPower,
        })
      : null;
  try {
    return await saveModel(indexDir, saved?.encoder ?? model.encoder, saved?.decoder ?? model.decoder, {
      arch: config.arch,
      codeSize: config.arch.codeSize,
      inputShape: [config.arch.side, config.arch.side, config.arch.channels],
      dataset: {
        name: dataset.name,
        fingerprint: dataset.fingerprint,
        count: dataset.database.count,
        origin: dataset.origin,
      },
      backend: context.backend,
      training: {
        epochs: config.epochs,
        batchSize: config.batchSize,
        learningRate: config.learningRate,
        seed: config.seed,
        seconds,
        imagesPerSecond: seconds > 0 ? images / seconds : 0,
        preset: config.preset,
        machineImgPerS: context.machineImgPerS ?? null,
        ...(labels ? { labels } : {}),
      },
      finalLoss: { train: last?.loss ?? Number.NaN, val: last?.valLoss ?? null },
    });
  } finally {
    saved?.dispose();
  }
}
