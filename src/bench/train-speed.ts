/** Training throughput: one epoch over a fixed image set after a warm-up step. */
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import { type ArchConfig, buildAutoencoder, inputSize } from '../model/architectures/index.js';
import { createRunner, type ThreadsChoice } from '../train/parallel/index.js';
import { trainAutoencoder } from '../train/trainer.js';

/** Training figures for one configuration. */
export interface TrainFigures {
  readonly imagesPerSecond: number;
  /** Threads that computed the steps at the end (1: this one; 2: this one and a worker). */
  readonly threads: 1 | 2;
  /** CPU time of the whole process (every thread) per image, in ms; less noisy than wall-clock speed on a busy machine. */
  readonly cpuMsPerImage: number;
  readonly finalLoss: number;
  /** Tensors alive after training minus before (0 = no leak). */
  readonly leakedTensors: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/**
 * Trains a fresh `arch` model for one epoch of `images` at `batchSize` on `threads` threads and returns its
 * speed; the warm-up step and a worker's start-up are not timed.
 */
export async function measureTraining(
  arch: ArchConfig,
  images: ImageSet,
  batchSize: number,
  threads: ThreadsChoice = 'auto',
): Promise<TrainFigures> {
  const model = buildAutoencoder(arch);
  const optimizer = tf.train.adam(1e-3);
  const runner = createRunner(model, optimizer, { threads, batchSize });
  try {
    const area = inputSize(arch);
    const warm = gatherBatch(
      images,
      Array.from({ length: batchSize }, (_, i) => i % images.count),
      area,
    );
    await runner.step({ n: batchSize, input: warm, target: warm, labels: null });
    await runner.ready?.();
    const before = tf.memory().numTensors;
    const cpu = process.cpuUsage();
    const [log] = await trainAutoencoder(
      model,
      images,
      null,
      { epochs: 1, batchSize, seed: 1, stepsPerEpoch: null },
      runner,
    );
    return {
      imagesPerSecond: log?.imagesPerSecond ?? 0,
      threads: runner.threads,
      cpuMsPerImage: cpuMs(cpu) / images.count,
      finalLoss: log?.loss ?? Number.NaN,
      leakedTensors: tf.memory().numTensors - before,
    };
  } finally {
    await runner.dispose();
    model.dispose();
    optimizer.dispose();
  }
}
