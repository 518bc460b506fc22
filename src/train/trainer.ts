/**
 * The training loop: shuffled mini-batches, optional input corruption, Adam, per-batch and per-epoch
 * callbacks. No console output and no files: callers decide what to show and save.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import { decoderFrame } from '../model/architectures/input-steps.js';
import { type Autoencoder, inputSize } from '../model/architectures/types.js';
import { createRng } from '../util/rng.js';
import { type BatchPlan, composeBatch, composeViewsBatch, epochOrder } from './batches.js';
import type { StepRunner } from './step-runner.js';
import { trainingTargets } from './targets.js';
import type { TrainConfig } from './train-config.js';

/** The few labelled images of a run (never from the query split). */
export interface LabelledImages {
  /** Label per database index, -1 where hidden. */
  readonly labelOf: Int32Array;
  /** Database indices whose labels training may use. */
  readonly indices: Int32Array;
  /** Labelled images added to every batch (drawn in a seeded cycle), besides the batch's share of the rest. */
  readonly perBatch: number;
  /**
   * Set: each of the batch's share of the rest shown twice, differently corrupted, the two views a
   * positive pair of the label term (batches.ts composeViewsBatch); with `split`, the first view takes
   * the plan's first corruption, the second the others. Unset: once.
   */
  readonly views?: { readonly split: boolean };
}

/** What the loop reads of a run's configuration (a whole TrainConfig will do). */
export type LoopConfig = Pick<TrainConfig, 'epochs' | 'batchSize' | 'seed' | 'stepsPerEpoch'>;

/** The labelled images of an epoch, asked for before its first batch (self-training re-estimates them). */
export type LabelledFor = (epoch: number) => Promise<LabelledImages>;

/** Where the loop starts from: epochs already done (when resuming), and the labels of few-label training. */
export interface LoopStart {
  /** Training runs epochs `startEpoch + 1` .. `config.epochs`; default 0. */
  readonly startEpoch?: number;
  /** The same labelled images for every epoch, or each epoch's; absent for unsupervised training. */
  readonly labelled?: LabelledImages | LabelledFor;
}

/** One epoch's figures. */
export interface EpochLog {
  readonly epoch: number;
  /** Mean training loss over the epoch's batches. */
  readonly loss: number;
  /** Reconstruction MSE on held-out images, no noise. */
  readonly valLoss: number | null;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** Few-label runs: label precision@10 of the held-out labelled images against the training-labelled ones. */
  readonly heldOutPrecision?: number;
}

/** Hooks the caller uses for progress, checkpoints and pictures. */
export interface TrainCallbacks {
  /** Called before each epoch's first batch (e.g. to set that epoch's learning rate). */
  onEpochStart?(epoch: number): void;
  onBatchEnd?(info: { epoch: number; batch: number; batches: number; loss: number }): void;
  onEpochEnd?(log: EpochLog): Promise<void> | void;
  /** Asked after onEpochEnd; true ends training there (early stopping). */
  stopAfter?(log: EpochLog): boolean;
}

/** Mean reconstruction MSE of `model` over `set` (first `limit` images), computed in batches. */
export function reconstructionLoss(model: Autoencoder, set: ImageSet, limit = 1000, batchSize = 500): number {
  const area = inputSize(model.config);
  const n = Math.min(limit, set.count);
  if (n === 0) return Number.NaN;
  let total = 0;
  for (let start = 0; start < n; start += batchSize) {
    const idx = Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const x = gatherBatch(set, idx, area);
    const loss = tf.tidy(() => {
      const t = tf.tensor2d(x, [idx.length, area]);
      const recon = model.decoder.predict(model.encoder.predict(t) as tf.Tensor) as tf.Tensor;
      return tf.losses.meanSquaredError(decoderFrame(model.config, t), recon) as tf.Scalar;
    });
    total += (loss.dataSync()[0] ?? Number.NaN) * idx.length;
    loss.dispose();
  }
  return total / n;
}

/** The labelled images added to each batch of `epoch`: a fresh seeded shuffle of the labelled set, cycled. */
function labelledCycle(
  labelled: LabelledImages | undefined,
  seed: number,
  epoch: number,
): (b: number) => number[] {
  if (!labelled || labelled.perBatch === 0 || labelled.indices.length === 0) return () => [];
  const order = epochOrder(labelled.indices.length, seed + 31, epoch);
  const per = labelled.perBatch;
  return (b) =>
    Array.from({ length: per }, (_, i) => labelled.indices[order[(b * per + i) % order.length] ?? 0] ?? 0);
}

/** How batches are built for `model`, whose training targets are `targets` (targets.ts). */
function batchPlan(
  model: Autoencoder,
  targets: Float32Array | null,
  labelled: LabelledImages | undefined,
): BatchPlan {
  return {
    side: model.config.side,
    channels: model.config.channels,
    noise: model.config.noise,
    labelOf: labelled ? labelled.labelOf : null,
    targets,
  };
}

/**
 * Trains `model` on `train` with `runner`'s steps as `config` says, from `start`, reporting through
 * `callbacks`; returns one log per epoch run.
 */
export async function trainAutoencoder(
  model: Autoencoder,
  train: ImageSet,
  validation: ImageSet | null,
  config: LoopConfig,
  runner: StepRunner,
  callbacks: TrainCallbacks = {},
  start: LoopStart = {},
): Promise<EpochLog[]> {
  const logs: EpochLog[] = [];
  const targets = trainingTargets(model.config, train);
  for (let epoch = (start.startEpoch ?? 0) + 1; epoch <= config.epochs; epoch++) {
    const labelled = typeof start.labelled === 'function' ? await start.labelled(epoch) : start.labelled;
    const plan = batchPlan(model, targets, labelled);
    const fresh = config.batchSize - (labelled?.perBatch ?? 0);
    model.beginEpoch?.(epoch);
    callbacks.onEpochStart?.(epoch);
    const started = performance.now();
    const order = epochOrder(train.count, config.seed, epoch);
    const extra = labelledCycle(labelled, config.seed, epoch);
    const noiseRng = createRng(config.seed * 104729 + epoch);
    const allBatches = Math.ceil(train.count / fresh);
    const batches = Math.min(allBatches, config.stepsPerEpoch ?? allBatches);
    let lossSum = 0;
    let seen = 0;
    for (let b = 0; b < batches; b++) {
      const own = order.subarray(b * fresh, (b + 1) * fresh);
      const batch = labelled?.views
        ? composeViewsBatch(train, own, extra(b), plan, noiseRng, labelled.views.split)
        : composeBatch(train, [...own, ...extra(b)], plan, noiseRng);
      const value = await runner.step(batch);
      lossSum += value * batch.n;
      seen += batch.n;
      callbacks.onBatchEnd?.({ epoch, batch: b + 1, batches, loss: value });
    }
    const seconds = (performance.now() - started) / 1000;
    const log: EpochLog = {
      epoch,
      loss: lossSum / seen,
      valLoss: validation ? reconstructionLoss(model, validation) : null,
      seconds,
      imagesPerSecond: seen / seconds,
    };
    logs.push(log);
    await callbacks.onEpochEnd?.(log);
    if (callbacks.stopAfter?.(log)) break;
  }
  return logs;
}
