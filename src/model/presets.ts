/**
 * Named training settings for `aesearch train --preset NAME`. Explicit flags override a preset's values.
 * docs/models.md's quality table gives what each preset scores and how long it trains.
 */
import type { ArchConfig, ArchName, CodeNorm, NoiseType, UnpoolMode } from './architectures/types.js';

/**
 * Preset names; `best` is always the best unsupervised one, `best-labels` the best with 60 labels per
 * class, `copies` the best for finding edited copies in a colour folder.
 */
export const PRESET_NAMES = ['seed', 'fast', 'best', 'best-labels', 'copies'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** A corruption as given on the command line or in a preset; a missing level takes --noise-level or the type's default. */
export interface NoiseSetting {
  readonly type: NoiseType;
  readonly level?: number;
}

/**
 * The settings a preset can fix: every `aesearch train` setting but the run's own (preset, threads,
 * resume, steps). Unset ones come from the defaults (train/train-config.ts resolves them).
 */
export interface PresetSettings {
  arch?: ArchName;
  codeSize?: number;
  hidden?: readonly number[];
  codeActivation?: 'linear' | 'relu';
  codeNorm?: CodeNorm;
  whitenPower?: number;
  recentre?: boolean;
  denoise?: boolean;
  equalise?: boolean;
  filters?: readonly number[];
  unpool?: UnpoolMode;
  klWeight?: number;
  pretrainEpochs?: number;
  noise?: readonly NoiseSetting[];
  noiseLevel?: number;
  labelsPerClass?: number;
  labelWeight?: number;
  labelsPerBatch?: number;
  labelHoldout?: number;
  patience?: number;
  selfTrain?: number;
  views?: number;
  splitViews?: boolean;
  epochs?: number;
  batchSize?: number;
  lr?: number;
  lrDecay?: 'none' | 'cosine';
  seed?: number;
}

/** A preset: what it is for, and its settings. */
export interface Preset {
  readonly description: string;
  readonly settings: Readonly<PresetSettings>;
}

/**
 * The seed's dense autoencoder, 784-256-64-20 with a ReLU code: the `seed` preset and the bench's
 * training baseline.
 */
export const SEED_ARCH = Object.freeze({
  arch: 'dense',
  hidden: [256, 64],
  codeSize: 20,
  codeActivation: 'relu',
} as const satisfies Partial<ArchConfig>);

/** The best unsupervised settings (docs/models.md, "What we tried"). */
const BEST: Preset['settings'] = {
  arch: 'conv',
  codeSize: 64,
  noise: [
    { type: 'shift', level: 2 },
    { type: 'gaussian', level: 0.1 },
  ],
  codeNorm: 'whiten',
  whitenPower: 0.2,
  recentre: true,
  denoise: true,
  equalise: true,
  epochs: 30,
  batchSize: 128,
  lr: 2e-3,
  lrDecay: 'cosine',
};

/**
 * The best settings found for finding edited copies in a colour folder (docs/benchmarks.md, "Copies"):
 * trained on copies edited as `eval --copies` edits them, so the code keeps still under those edits.
 */
const COPIES: Preset['settings'] = {
  arch: 'conv',
  codeSize: 64,
  noise: [
    { type: 'crop', level: 0.15 },
    { type: 'rotate', level: 10 },
    { type: 'colour', level: 0.35 },
    { type: 'strip', level: 0.2 },
  ],
  codeNorm: 'cosine',
  epochs: 30,
  batchSize: 64,
  lr: 2e-3,
  lrDecay: 'cosine',
};

/** Every preset. */
export const PRESETS: Readonly<Record<PresetName, Preset>> = Object.freeze({
  seed: {
    description:
      "the seed's dense autoencoder 784-256-64-20 with a ReLU code, 10 epochs (the benchmark baseline)",
    settings: { ...SEED_ARCH, epochs: 10, batchSize: 256 },
  },
  fast: {
    description: 'a dense autoencoder with a linear 32-d code, cosine-normalised, in about a minute',
    settings: { arch: 'dense', codeSize: 32, codeNorm: 'cosine', epochs: 5, batchSize: 128, lr: 2e-3 },
  },
  best: {
    description:
      'the best unsupervised settings found: conv autoencoder, 64-d code, brightness equalised, trained on shifted and noisy copies, grainy backgrounds cleared and objects moved back to the middle before embedding, cosine search over partly whitened codes',
    settings: BEST,
  },
  'best-labels': {
    description:
      'the best settings found with 60 labelled images per class: best (not re-centred), plus a small supervised contrastive term on all the labels (none held out), 8 self-training epochs on the labels spread over the code kNN graph with a shifted and a noisy view of each unlabelled image, and within-class whitening',
    settings: {
      ...BEST,
      // measured without re-centring and with full whitening (docs/models.md)
      recentre: false,
      // measured without clearing noisy backgrounds
      denoise: false,
      codeNorm: 'whiten',
      whitenPower: 0.5,
      labelsPerClass: 60,
      labelWeight: 0.1,
      labelsPerBatch: 64,
      // every label trains; nothing held out, so the last epoch is kept (docs/models.md, "Self-training")
      labelHoldout: 0,
      epochs: 32,
      selfTrain: 8,
      // each unlabelled image twice in the self-training batches, one view shifted, the other noisy
      // (docs/models.md, "Self-training")
      views: 2,
      splitViews: true,
    },
  },
  copies: {
    description:
      'the best settings found for finding edited copies in a colour folder: conv autoencoder, 64-d code, trained on cropped, turned, colour-changed and captioned copies, cosine search',
    settings: COPIES,
  },
});
