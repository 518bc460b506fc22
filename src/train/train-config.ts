/**
 * The one training configuration: `resolveTrainConfig` turns the train command's settings (flags, every
 * one optional) into a `TrainConfig`: built-in defaults < the preset's values < explicit settings. That
 * object goes unchanged from the command line to the run and the trainer. Pure; throws BAD_OPTION.
 */

import { createError } from '../errors.js';
import type { InputFormat } from '../image/preprocess.js';
import {
  type ArchConfig,
  type ArchName,
  defaultArchConfig,
  type NoiseConfig,
  type NoiseType,
} from '../model/architectures/index.js';
import { PRESETS, type PresetName, type PresetSettings } from '../model/presets.js';
import type { LrDecay } from './lr-schedule.js';
import { parseThreads, type THREAD_CHOICES, type ThreadsChoice } from './parallel/index.js';

/** Every setting `aesearch train` takes; unset ones come from the preset, then the defaults. */
export interface TrainSettings extends PresetSettings {
  preset?: PresetName;
  lrDecay?: LrDecay;
  threads?: (typeof THREAD_CHOICES)[number];
  resume?: boolean;
  steps?: number;
}

/** How few-label training uses its labels. */
export interface LabelPlan {
  /** Labelled images per class, picked from the database split with a seeded shuffle. */
  readonly perClass: number;
  /** Labelled images added to every batch. */
  readonly perBatch: number;
  /** Fraction of each class's labelled images held out to pick the best epoch. */
  readonly holdout: number;
  /** Stop after this many epochs without a better held-out score; 0 = never stop early. */
  readonly patience: number;
  /**
   * The last this many epochs self-train: before each, the labels are propagated over the code kNN graph
   * (train/pseudo-labels.ts) and the confident pseudo-labels join the label term; 0 = none.
   */
  readonly selfTrain: number;
  /**
   * Views per unlabelled image in the self-training epochs' batches: 2 shows each twice, differently
   * corrupted, and the label term pulls the two together (train/batches.ts composeViewsBatch); 1 once.
   */
  readonly views: number;
  /**
   * With two views: the first takes the first corruption of the arch's noise, the second the others
   * (train/batches.ts composeViewsBatch); false: each takes them all.
   */
  readonly splitViews: boolean;
}

/** A resolved training configuration: everything a run does, with every default filled in. */
export interface TrainConfig {
  /** The preset the settings started from; null for none. */
  readonly preset: PresetName | null;
  /** The model and its loss. */
  readonly arch: ArchConfig;
  /** Total epochs; with `resume`, training runs the ones the checkpoint has not done. */
  readonly epochs: number;
  readonly batchSize: number;
  /** Adam's learning rate (of the first epoch, with a decay). */
  readonly learningRate: number;
  /** `cosine` anneals the rate over the epochs (half a cosine, per epoch) instead of keeping it constant. */
  readonly lrDecay: LrDecay;
  /** Seeds weights (through `arch`), shuffling, noise and the labelled pick. */
  readonly seed: number;
  /** Few-label training; null for unsupervised training. */
  readonly labels: LabelPlan | null;
  /** Threads to compute gradients on. */
  readonly threads: ThreadsChoice;
  /** Continue from the checkpoint in the index folder. */
  readonly resume: boolean;
  /** Stop each epoch after this many batches (quick runs and tests); null for whole epochs. */
  readonly stepsPerEpoch: number | null;
}

/** Defaults of the settings that are not part of ArchConfig. */
export const TRAIN_DEFAULTS = Object.freeze({
  epochs: 10,
  batchSize: 64,
  lr: 1e-3,
  seed: 1,
  labelWeight: 0.1,
  labelsPerBatch: 32,
  labelHoldout: 0.2,
  patience: 0,
});

/** Default level per corruption (see NoiseConfig for the units). */
export const NOISE_DEFAULT_LEVELS: Readonly<Record<NoiseType, number>> = Object.freeze({
  gaussian: 0.3,
  masking: 0.3,
  'salt-pepper': 0.1,
  shift: 2,
  zoom: 0.15,
  erase: 0.4,
  rotate: 10,
  crop: 0.1,
  colour: 0.25,
  strip: 0.15,
});

/** Largest level of the corruptions whose level is a share of the image (above it they leave no image). */
export const NOISE_MAX_LEVELS: Readonly<Partial<Record<NoiseType, number>>> = Object.freeze({
  crop: 0.5,
  colour: 1,
  strip: 1,
});

function noiseOf(s: TrainSettings, arch: ArchName): readonly NoiseConfig[] | undefined {
  if (!s.noise)
    return arch === 'denoising' && s.noiseLevel ? [{ type: 'gaussian', level: s.noiseLevel }] : undefined;
  return s.noise.map((n) => {
    const level = n.level ?? s.noiseLevel ?? NOISE_DEFAULT_LEVELS[n.type];
    const max = NOISE_MAX_LEVELS[n.type];
    if (max !== undefined && level > max)
      throw createError('BAD_OPTION', {
        name: '--noise',
        expected: `a ${n.type} level from 0 to ${max}`,
        got: String(level),
      });
    return { type: n.type, level };
  });
}

function archOf(s: TrainSettings, input: ModelInput, seed: number): ArchConfig {
  const arch = s.arch ?? 'dense';
  const { side, channels } = input;
  const base = defaultArchConfig(arch, { side, channels, seed });
  const pick = <T>(value: T | undefined, fallback: T): T => (value === undefined ? fallback : value);
  return defaultArchConfig(arch, {
    side,
    channels,
    seed,
    codeSize: pick(s.codeSize, base.codeSize),
    hidden: pick(s.hidden, base.hidden),
    codeActivation: pick(s.codeActivation, base.codeActivation),
    codeNorm: pick(s.codeNorm, base.codeNorm),
    whitenPower: pick(s.whitenPower, base.whitenPower),
    recentre: pick(s.recentre, base.recentre),
    denoise: pick(s.denoise, base.denoise),
    equalise: pick(s.equalise, base.equalise),
    noise: pick(noiseOf(s, arch), base.noise),
    conv: {
      ...base.conv,
      filters: pick(s.filters, base.conv.filters),
      unpool: pick(s.unpool, base.conv.unpool),
    },
    klWeight: pick(s.klWeight, base.klWeight),
    pretrainEpochs: pick(s.pretrainEpochs, base.pretrainEpochs),
    labelLoss: s.labelsPerClass ? { weight: pick(s.labelWeight, TRAIN_DEFAULTS.labelWeight) } : null,
  });
}

function labelsOf(s: TrainSettings, arch: ArchConfig, batchSize: number, epochs: number): LabelPlan | null {
  const selfTrain = s.selfTrain ?? 0;
  const views = s.views ?? 1;
  if (views > 1 && (selfTrain === 0 || arch.noise.length === 0))
    throw createError('BAD_OPTION', {
      name: '--views',
      expected:
        '1, or 2 with --self-train and --noise (the second view trains the self-training epochs; the corruptions make the two views differ)',
      got: views,
    });
  const splitViews = s.splitViews ?? false;
  if (splitViews && (views !== 2 || arch.noise.length < 2))
    throw createError('BAD_OPTION', {
      name: '--split-views',
      expected:
        "used with --views 2 and at least two corruptions in --noise, one for each view (--no-split-views turns off a preset's)",
      got: `--views ${views} --noise ${arch.noise.map((n) => n.type).join(',') || 'none'}`,
    });
  if (!s.labelsPerClass) {
    if (selfTrain > 0)
      throw createError('BAD_OPTION', {
        name: '--self-train',
        expected: 'used with --labels-per-class (it spreads those labels)',
        got: selfTrain,
      });
    return null;
  }
  if (selfTrain >= epochs)
    throw createError('BAD_OPTION', {
      name: '--self-train',
      expected: `fewer than --epochs (${epochs}): the last epochs self-train on what the first ones learnt`,
      got: selfTrain,
    });
  const perBatch = s.labelsPerBatch ?? TRAIN_DEFAULTS.labelsPerBatch;
  if (perBatch >= batchSize)
    throw createError('BAD_OPTION', {
      name: '--labels-per-batch',
      expected: `below --batch-size (${batchSize})`,
      got: perBatch,
    });
  return {
    perClass: s.labelsPerClass,
    perBatch,
    holdout: s.labelHoldout ?? TRAIN_DEFAULTS.labelHoldout,
    patience: s.patience ?? TRAIN_DEFAULTS.patience,
    selfTrain,
    views,
    splitViews,
  };
}

/** The last epoch before self-training (all of them without it). */
export function lastEpochBeforeSelfTraining(config: Pick<TrainConfig, 'epochs' | 'labels'>): number {
  return config.epochs - (config.labels?.selfTrain ?? 0);
}

/** The dataset's image shape the model takes: side x side pixels of 1 or 3 channels. */
export type ModelInput = Pick<InputFormat, 'side' | 'channels'>;

/**
 * Resolves `settings` (over its preset, over the defaults) for the dataset's `input` (its format) into
 * the run's configuration; throws BAD_OPTION for a combination that cannot train.
 */
export function resolveTrainConfig(settings: Readonly<TrainSettings>, input: ModelInput): TrainConfig {
  const preset = settings.preset ?? null;
  const s: TrainSettings = { ...(preset ? PRESETS[preset].settings : {}), ...definedOnly(settings) };
  const seed = s.seed ?? TRAIN_DEFAULTS.seed;
  const batchSize = s.batchSize ?? TRAIN_DEFAULTS.batchSize;
  const arch = archOf(s, input, seed);
  // a preset's power goes with its own whiten; one given explicitly must have whiten to act on
  if (settings.whitenPower !== undefined && arch.codeNorm !== 'whiten')
    throw createError('BAD_OPTION', {
      name: '--whiten-power',
      expected: 'given with --code-norm whiten (it sets how far whiten goes)',
      got: `--code-norm ${arch.codeNorm}`,
    });
  const epochs = s.epochs ?? TRAIN_DEFAULTS.epochs;
  if (arch.arch === 'stacked' && epochs <= arch.pretrainEpochs * (arch.hidden.length + 1))
    throw createError('BAD_OPTION', {
      name: '--epochs',
      expected: `above ${arch.pretrainEpochs * (arch.hidden.length + 1)} (pre-training epochs per layer x layers) so the stack is fine-tuned`,
      got: epochs,
    });
  return Object.freeze({
    preset,
    arch,
    epochs,
    batchSize,
    learningRate: s.lr ?? TRAIN_DEFAULTS.lr,
    lrDecay: s.lrDecay ?? 'none',
    seed,
    labels: labelsOf(s, arch, batchSize, epochs),
    threads: parseThreads(s.threads ?? 'auto'),
    resume: s.resume ?? false,
    stepsPerEpoch: s.steps ?? null,
  });
}

function definedOnly(settings: Readonly<TrainSettings>): TrainSettings {
  return Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as TrainSettings;
}
