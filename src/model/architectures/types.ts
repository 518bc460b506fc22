/** What every autoencoder architecture provides to the trainer, the encoder and the artifacts. */
import type * as tf from '@tensorflow/tfjs';

/** Architectures selectable with --arch. */
export const ARCH_NAMES = ['dense', 'denoising', 'conv', 'vae', 'stacked'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

/** Normalisation at the end of the encoder. */
export const CODE_NORMS = ['none', 'cosine', 'whiten'] as const;
export type CodeNorm = (typeof CODE_NORMS)[number];

/** `whiten`'s default power of the eigenvalues: full whitening. */
export const WHITEN_POWER = 0.5;

/** Input corruption for denoising training. */
export const NOISE_TYPES = [
  'gaussian',
  'masking',
  'salt-pepper',
  'shift',
  'zoom',
  'erase',
  'rotate',
  'crop',
  'colour',
  'strip',
] as const;
export type NoiseType = (typeof NOISE_TYPES)[number];

/**
 * Noise applied to training inputs; `level` is sigma (gaussian), a fraction of pixels (masking,
 * salt-pepper), pixels (shift), the largest relative change of scale (zoom), the largest side of the
 * erased square as a fraction of the image side (erase), degrees (rotate), the largest share of a side
 * cropped off (crop), the strength of the brightness, saturation and hue change (colour), or the largest
 * height of the caption strip as a fraction of the image side (strip). train/noise.ts says exactly how.
 */
export interface NoiseConfig {
  readonly type: NoiseType;
  readonly level: number;
}

/**
 * How the conv decoder undoes a max-pool: `copy` repeats each value over its 2x2 window (UpSampling2D),
 * `argmax` puts it back where the encoder's maximum was (zeros elsewhere), `transpose` lets a stride-2
 * transposed convolution upsample.
 */
export const UNPOOL_MODES = ['copy', 'argmax', 'transpose'] as const;
export type UnpoolMode = (typeof UNPOOL_MODES)[number];

/** The conv architecture's blocks: one conv + 2x2 max-pool per entry of `filters`. */
export interface ConvConfig {
  readonly filters: readonly number[];
  readonly kernelSize: number;
  readonly unpool: UnpoolMode;
}

/** Few-label metric loss: supervised contrastive on L2-normalised codes of the labelled rows of a batch. */
export interface LabelLossConfig {
  /** Weight against the per-pixel reconstruction MSE. */
  readonly weight: number;
}

/** A serialisable description of a model and its training loss: enough to rebuild it. Stored in manifests and checkpoints. */
export interface ArchConfig {
  readonly arch: ArchName;
  /** Side of the square input, in pixels. */
  readonly side: number;
  /** Bytes per pixel of the input: 1 grayscale, 3 RGB (interleaved). */
  readonly channels: 1 | 3;
  readonly codeSize: number;
  /** Widths of the hidden dense layers between input and code, e.g. [256, 64]; mirrored in the decoder. */
  readonly hidden: readonly number[];
  /** `linear` codes search better than the seed's `relu` ones (see docs/models.md). */
  readonly codeActivation: 'linear' | 'relu';
  /**
   * `cosine` adds centring on the mean database code and unit length to the encoder after training,
   * `whiten` centring, shrunk whitening and unit length (see code-norm.ts). Either way L2 search over
   * the saved encoder's codes ranks as cosine search.
   */
  readonly codeNorm: CodeNorm;
  /**
   * `whiten`: the power of the covariance's eigenvalues the codes are divided by (0.5 whitens fully,
   * smaller values only even out the spread partly, 0 leaves cosine).
   */
  readonly whitenPower: number;
  /**
   * Outside training the encoder first moves each image's object to where the collection's objects sit
   * (recentre.ts: the bounding box of its bright parts centred, or pushed back off a border it was moved
   * against); reconstructions are of the moved image. For objects on a dark background.
   */
  readonly recentre: boolean;
  /**
   * Outside training the encoder first clears the background of an image whose dark background is
   * grainy (denoise.ts: everything but the bright parts and the pixel around them set to black); clean
   * images pass unchanged. For objects on a black background.
   */
  readonly denoise: boolean;
  /**
   * The encoder first raises each image to the power that brings the mean of its bright parts to a fixed
   * level (equalise.ts), in training too; the decoder rebuilds equalised images. For objects on a dark
   * background.
   */
  readonly equalise: boolean;
  /** Training-time input corruptions, applied in order; empty for a plain autoencoder. */
  readonly noise: readonly NoiseConfig[];
  /** Seed of the weight initialisers (and the VAE's sampling). */
  readonly seed: number;
  /** Conv blocks (arch `conv`); the dense `hidden` layers then sit between the last block and the code. */
  readonly conv: ConvConfig;
  /** Weight of the VAE's KL term against the per-pixel reconstruction MSE (arch `vae`). */
  readonly klWeight: number;
  /** Greedy pre-training epochs per layer before fine-tuning the whole stack (arch `stacked`). */
  readonly pretrainEpochs: number;
  /** Metric loss on the few labelled images of each batch; null for none. */
  readonly labelLoss: LabelLossConfig | null;
}

/** Values in one flat input row: side x side x channels. */
export function inputSize(config: Pick<ArchConfig, 'side' | 'channels'>): number {
  return config.side * config.side * config.channels;
}

/** A built autoencoder. Inputs are flat [N, side*side*channels] batches in [0, 1], RGB interleaved. */
export interface Autoencoder {
  readonly config: ArchConfig;
  /** [N, side*side*channels] -> code [N, codeSize]. */
  readonly encoder: tf.LayersModel;
  /** code [N, codeSize] -> reconstruction [N, side*side*channels] in [0, 1]. */
  readonly decoder: tf.LayersModel;
  /** Every trainable variable, in a fixed order (also the checkpoint order). */
  readonly variables: tf.Variable[];
  /**
   * Training loss of a batch: rebuild `target` from `input` (input may be a corrupted copy of the clean
   * image; `target` is that image in the training frame, input-steps.ts trainingFrame). `labels`
   * (int32, -1 = hidden) is given only when training with a few labels. Call inside tf.tidy or an
   * optimiser's minimize.
   */
  loss(input: tf.Tensor2D, target: tf.Tensor2D, labels: tf.Tensor1D | null): tf.Scalar;
  /**
   * Called by the trainer before each epoch (1-based). Models whose loss changes during training
   * (`stacked`: one layer at a time, then the whole) switch stage here; a runner that computes the loss
   * in another thread must forward it.
   */
  beginEpoch?(epoch: number): void;
  /** Frees every tensor the model owns. */
  dispose(): void;
}
