/** Training throughput: one epoch over a fixed image set after a warm-up step. */
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../dataset/types.js';
import { type ArchConfig, buildAutoencoder } from '../model/architectures/index.js';
import { gatherBatch } from '../model/batches.js';
import { createLocalRunner } from '../model/step-runner.js';
import { trainAutoencoder } from '../model/trainer.js';

/** Training figures for one configuration. */
export interface TrainFigures {
  readonly imagesPerSecond: number;
  readonly finalLoss: number;
  /** Tensors alive after training minus before (0 = no leak). */
  readonly leakedTensors: number;
}

/** Trains a fresh `arch` model for one epoch of `images` at `batchSize` and returns its speed. */
export async function measureTraining(
  arch: ArchConfig,
  images: ImageSet,
  batchSize: number,
): Promise<TrainFigures> {
  const model = buildAutoencoder(arch);
  const optimizer = tf.train.adam(1e-3);
  const runner = createLocalRunner(model, optimizer);
  try {
    const area = arch.side * arch.side;
    const warm = gatherBatch(
      images,
      Array.from({ length: batchSize }, (_, i) => i % images.count),
      area,
    );
    await runner.step({ n: batchSize, input: warm, target: warm, labels: null });
    const before = tf.memory().numTensors;
    const [log] = await trainAutoencoder(
      model,
      images,
      null,
      { epochs: 1, batchSize, learningRate: 1e-3, seed: 1 },
      runner,
    );
    return {
      imagesPerSecond: log?.imagesPerSecond ?? 0,
      finalLoss: log?.loss ?? Number.NaN,
      leakedTensors: tf.memory().numTensors - before,
    };
  } finally {
    await runner.dispose();
    model.dispose();
    optimizer.dispose();
  }
}
