/**
 * Chooses how many threads train: this thread alone, the data-parallel runner (this thread and a worker),
 * or, for `auto`, the adaptive runner that measures both where two threads can pay and keeps the faster.
 * A model that can train on two threads computes every step as the same two half-batches on one thread
 * too, so the thread schedule never changes a seeded run's weights.
 */
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { createError } from '../../errors.js';
import type { ArchConfig, ArchName, Autoencoder } from '../../model/architectures/types.js';
import { createLocalRunner, type StepRunner } from '../step-runner.js';
import { createAdaptiveRunner } from './adaptive-runner.js';
import { createHalvesRunner } from './halves-runner.js';
import { createParallelRunner } from './parallel-runner.js';

export { type AdaptiveRunner, createAdaptiveRunner } from './adaptive-runner.js';
export { createParallelRunner, type ParallelRunner } from './parallel-runner.js';

/** Values of `--threads`, as typed. */
export const THREAD_CHOICES = ['auto', '1', '2'] as const;

/** Threads to train on: 1, 2, or `auto` (measure both where two can pay; keep the faster). */
export type ThreadsChoice = 'auto' | 1 | 2;

/** The `--threads` flag's value as a ThreadsChoice. */
export function parseThreads(value: (typeof THREAD_CHOICES)[number]): ThreadsChoice {
  if (value === 'auto') return 'auto';
  return value === '1' ? 1 : 2;
}

/** Settings of `createRunner`. */
export interface RunnerOptions {
  readonly threads: ThreadsChoice;
  /** Images per step; `auto` uses it (small batches gain less from a second thread). */
  readonly batchSize?: number;
}

/** A step runner, the number of threads it computes on now, and (with a worker) a wait for the worker to start. */
export type ChosenRunner = StepRunner & { readonly threads: 1 | 2; ready?(): Promise<void> };

// Architectures whose loss is a mean over the rows of a batch, so half-batch gradients average to the whole.
const ROW_MEAN_ARCHS: readonly ArchName[] = ['dense', 'denoising', 'conv', 'vae'];

/** Why `model` cannot train data-parallel (a phrase), or null when it can. */
function parallelBlocker(model: Autoencoder): string | null {
  const config = model.config;
  if (!ROW_MEAN_ARCHS.includes(config.arch) || model.beginEpoch)
    return `arch ${config.arch} has a loss that is not a plain mean over images`;
  if (config.labelLoss) return 'the label loss compares the images of a batch with each other';
  const backend = tf.getBackend();
  if (backend === 'tensorflow') return 'the tensorflow backend already uses every core';
  if (backend !== 'wasm' && backend !== 'cpu') return `the ${backend} backend cannot run in a worker thread`;
  return null;
}

/**
 * Whether one and two threads compute the same weights for `model`: it can train on two, and is not the
 * VAE, whose worker draws its own sampling noise.
 */
function scheduleFree(model: Autoencoder): boolean {
  return parallelBlocker(model) === null && model.config.arch !== 'vae';
}

/** Smallest batch at which two threads can beat one on the dense architectures (wasm, measured). */
const MIN_PARALLEL_DENSE_BATCH = 128;

/**
 * Whether two threads can pay for `arch` at `batchSize` on `backend`, from per-thread CPU time of a step:
 * each thread pays the whole per-step overhead (one kernel call per op), and this thread also the
 * optimiser update, so only the per-image work halves. That work dominates for conv layers and on the
 * cpu backend, and for the dense ones from batch 128; at batch 64 this thread's share of a two-thread
 * step costs as much CPU as a whole one-thread step (wasm, measured).
 */
function parallelPays(arch: ArchConfig, batchSize: number, backend: string): boolean {
  if (backend === 'cpu' || arch.arch === 'conv') return true;
  return batchSize >= MIN_PARALLEL_DENSE_BATCH;
}

/**
 * The thread count `options` asks for on this model and machine: 1, 2, or 'adaptive' (measure both).
 * Throws BAD_OPTION for 2 where two threads cannot work.
 */
export function chooseThreads(model: Autoencoder, options: RunnerOptions): 1 | 2 | 'adaptive' {
  if (options.threads === 1) return 1;
  const blocker = parallelBlocker(model);
  if (options.threads === 2) {
    if (blocker)
      throw createError('BAD_OPTION', {
        name: '--threads',
        expected: `1 (or auto) because ${blocker}`,
        got: '2',
      });
    return 2;
  }
  // the VAE on two threads would give other weights than on one: only when asked for
  if (blocker || !scheduleFree(model) || availableParallelism() < 2) return 1;
  const pays = parallelPays(model.config, options.batchSize ?? 0, tf.getBackend());
  return pays ? 'adaptive' : 1;
}

/**
 * Creates the step runner for `model` and `optimizer`: one thread, two (data-parallel), or `auto`
 * (one, or the adaptive runner where two can pay). On one thread, a model whose steps two threads could
 * compute runs them as half-batches (bit-identical to two threads); any other takes whole batches.
 * Throws BAD_OPTION when two threads are asked for a model or backend that cannot use them.
 */
export function createRunner(
  model: Autoencoder,
  optimizer: tf.Optimizer,
  options: RunnerOptions,
): ChosenRunner {
  const choice = chooseThreads(model, options);
  if (choice === 'adaptive') return createAdaptiveRunner(model, optimizer);
  if (choice === 2) return Object.assign(createParallelRunner(model, optimizer), { threads: 2 as const });
  const one = scheduleFree(model)
    ? createHalvesRunner(model, optimizer)
    : createLocalRunner(model, optimizer);
  return { ...one, threads: 1 };
}
