/** Learning-rate schedules over the epochs of a run, and setting the rate of a live optimiser. */
import type * as tf from '@tensorflow/tfjs';

/** Learning-rate schedules. */
export const LR_DECAYS = ['none', 'cosine'] as const;
export type LrDecay = (typeof LR_DECAYS)[number];

/** The learning rate of `epoch` (1-based) of `epochs` under `decay`. */
export function learningRateAt(base: number, decay: LrDecay, epoch: number, epochs: number): number {
  if (decay === 'none' || epochs <= 1) return base;
  return base * 0.5 * (1 + Math.cos((Math.PI * (epoch - 1)) / epochs));
}

/** Sets the rate of `optimizer` for its next steps (tfjs optimisers read their protected learningRate on every step). */
export function setLearningRate(optimizer: tf.Optimizer, rate: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = rate;
}

/** Share of the base rate the self-training epochs restart from: the whole (docs/models.md, "Self-training"). */
export const SELF_TRAIN_RATE = 1;

/**
 * The rate of `epoch` in a run of `epochs` whose last `selfTrain` epochs self-train: the first part
 * anneals from `base` as learningRateAt does, the self-training part afresh from SELF_TRAIN_RATE x base.
 */
export function phasedLearningRate(
  base: number,
  decay: LrDecay,
  epoch: number,
  epochs: number,
  selfTrain: number,
): number {
  const first = epochs - selfTrain;
  return selfTrain > 0 && epoch > first
    ? learningRateAt(base * SELF_TRAIN_RATE, decay, epoch - first, selfTrain)
    : learningRateAt(base, decay, epoch, first);
}
