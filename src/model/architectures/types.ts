/** What every autoencoder architecture provides to the trainer, the encoder and the artifacts. */
import type * as tf from '@tensorflow/tfjs';

/** Architectures selectable with --arch. */
export const ARCH_NAMES = ['dense', 'denoising'] as const;
export type ArchName = (typeof ARCH_NAMES)[number];

/** Input corruption for denoising training. */
export const NOISE_TYPES = ['gaussian', 'masking', 'salt-pepper', 'shift'] as const;
export type NoiseType = (typeof NOISE_TYPES)[number];

/** Noise applied to training inputs; `level` is sigma (gaussian), a fraction (masking, salt-pepper) or pixels (shift). */
export interface NoiseConfig {
  readonly type: NoiseType;
  readonly level: number;
}

/** A serialisable description of a model: enough to rebuild it. Stored in manifests and checkpoints. */
export interface ArchConfig {
  readonly arch: ArchName;
  /** Side of the square grayscale input, in pixels. */
  readonly side: number;
  readonly codeSize: number;
  /** Widths of the hidden dense layers between input and code, e.g. [256, 64]; mirrored in the decoder. */
  readonly hidden: readonly number[];
  /** `linear` codes search better than the seed's `relu` ones (see README). */
  readonly codeActivation: 'linear' | 'relu';
  /** Training-time input corruption; null for a plain autoencoder. */
  readonly noise: NoiseConfig | null;
  /** Seed of the weight initialisers. */
  readonly seed: number;
}

/** A built autoencoder. Inputs are flat [N, side*side] batches in [0, 1]. */
export interface Autoencoder {
  readonly config: ArchConfig;
  /** [N, side*side] -> code [N, codeSize]. */
  readonly encoder: tf.LayersModel;
  /** code [N, codeSize] -> reconstruction [N, side*side] in [0, 1]. */
  readonly decoder: tf.LayersModel;
  /** Every trainable variable, in a fixed order (also the checkpoint order). */
  readonly variables: tf.Variable[];
  /**
   * Training loss of a batch: rebuild `target` from `input` (input may be a corrupted copy of target).
   * `labels` (int32, -1 = hidden) is given only when training with a few labels. Call inside tf.tidy
   * or an optimiser's minimize.
   */
  loss(input: tf.Tensor2D, target: tf.Tensor2D, labels: tf.Tensor1D | null): tf.Scalar;
  /** Frees every tensor the model owns. */
  dispose(): void;
}
