/**
 * A step runner applies one optimisation step to a prepared batch. The trainer builds batches; the
 * runner decides where the gradients are computed (in this thread, or split across worker threads).
 */
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../model/architectures/types.js';

/** One mini-batch, ready for the model: flat images in [0, 1]. */
export interface TrainBatch {
  readonly n: number;
  /** n x side*side: what the encoder sees (a corrupted copy of target for denoising). */
  readonly input: Float32Array;
  /** n x side*side: what the decoder must rebuild. */
  readonly target: Float32Array;
  /** n labels the loss may use, -1 where the label is hidden; null when training without labels. */
  readonly labels: Int32Array | null;
}

/** Applies optimisation steps. */
export interface StepRunner {
  /** Runs one step on `batch` and returns its loss. */
  step(batch: TrainBatch): Promise<number>;
  /** Frees what the runner owns (not the model). */
  dispose(): Promise<void> | void;
}

/** Turns a batch into tensors and returns the model's loss on it; call inside tf.tidy or minimize. */
export function batchLoss(model: Autoencoder, batch: TrainBatch): tf.Scalar {
  const area = batch.input.length / batch.n;
  const target = tf.tensor2d(batch.target, [batch.n, area]);
  const input = batch.input === batch.target ? target : tf.tensor2d(batch.input, [batch.n, area]);
  const labels = batch.labels ? tf.tensor1d(batch.labels, 'int32') : null;
  return model.loss(input, target, labels);
}

/**
 * Computes a whole batch's gradients and applies them in this thread: for models that never train on
 * two threads (theirs take half-batches, parallel/halves-runner.ts) and for the machine-speed reference.
 */
export function createLocalRunner(model: Autoencoder, optimizer: tf.Optimizer): StepRunner {
  return {
    step: async (batch) => {
      const loss = tf.tidy(
        () => optimizer.minimize(() => batchLoss(model, batch), true, model.variables) as tf.Scalar,
      );
      const value = (await loss.data())[0] ?? Number.NaN;
      loss.dispose();
      return value;
    },
    dispose: () => {},
  };
}
