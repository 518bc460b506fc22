/**
 * The data-parallel step runner on tiny shapes: the same losses and weights, bit for bit, as one thread
 * computing the same half-batches (and as whole batches up to round-off), the
 * worker's copy equal to the main thread's, no tensor leaks, clean dispose, and a worker failure that
 * rejects `step` with the worker's message.
 */
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { isAesearchError } from '../../src/errors.js';
import {
  type ArchConfig,
  type Autoencoder,
  buildAutoencoder,
  defaultArchConfig,
} from '../../src/model/architectures/index.js';
import { createHalvesRunner } from '../../src/train/parallel/halves-runner.js';
import {
  type AdaptiveRunner,
  chooseThreads,
  createAdaptiveRunner,
  createParallelRunner,
  createRunner,
} from '../../src/train/parallel/index.js';
import { createLocalRunner, type TrainBatch } from '../../src/train/step-runner.js';
import { createRng } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';
import { trainBriefly } from '../helpers/tiny-index.js';

const SIDE = 8;
const AREA = SIDE * SIDE;
const LEARNING_RATE = 0.01;
/** Batch sizes of the equivalence runs: even, odd, and 1 (the worker's part is then empty). */
const BATCH_SIZES = [8, 7, 8, 5, 8, 1, 8];

function tinyArch(overrides: Partial<ArchConfig> = {}): ArchConfig {
  return defaultArchConfig('dense', { side: SIDE, hidden: [12], codeSize: 4, seed: 3, ...overrides });
}

/** A fixed batch of `n` images in [0, 1]; the input is a noisy copy of the target when `noisy`. */
function makeBatch(n: number, seed: number, noisy = false): TrainBatch {
  const rng = createRng(seed);
  const target = Float32Array.from({ length: n * AREA }, () => rng());
  const input = noisy ? target.map((v) => Math.min(1, Math.max(0, v + 0.4 * (rng() - 0.5)))) : target;
  return { n, input, target, labels: null };
}

function batchesFor(noisy = false): TrainBatch[] {
  return BATCH_SIZES.map((n, i) => makeBatch(n, 100 + i, noisy));
}

async function weightsOf(model: Autoencoder): Promise<Float32Array[]> {
  return Promise.all(model.variables.map(async (v) => (await v.data()) as Float32Array));
}

function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  a.forEach((x, i) => {
    const y = b[i] as Float32Array;
    assert.equal(x.length, y.length);
    for (let j = 0; j < x.length; j++) worst = Math.max(worst, Math.abs((x[j] ?? 0) - (y[j] ?? 0)));
  });
  return worst;
}

interface Trained {
  readonly model: Autoencoder;
  readonly optimizer: tf.Optimizer;
  readonly losses: number[];
}

function freshPair(
  arch: ArchConfig,
  makeOptimizer: () => tf.Optimizer = () => tf.train.adam(LEARNING_RATE),
): Trained {
  return { model: buildAutoencoder(arch), optimizer: makeOptimizer(), losses: [] };
}

function disposeAll(...sides: Trained[]): void {
  for (const side of sides) {
    side.model.dispose();
    side.optimizer.dispose();
  }
}

/**
 * Trains three fresh copies of `arch` on `batches`: whole batches on this thread, half-batches on this
 * thread, and half-batches on two threads; returns them and the worker's weights.
 */
async function trainAll(
  arch: ArchConfig,
  batches: readonly TrainBatch[],
  makeOptimizer?: () => tf.Optimizer,
) {
  const whole = freshPair(arch, makeOptimizer);
  const halves = freshPair(arch, makeOptimizer);
  const parallel = freshPair(arch, makeOptimizer);
  const wholeRunner = createLocalRunner(whole.model, whole.optimizer);
  const halvesRunner = createHalvesRunner(halves.model, halves.optimizer);
  const parallelRunner = createParallelRunner(parallel.model, parallel.optimizer);
  try {
    for (const batch of batches) {
      whole.losses.push(await wholeRunner.step(batch));
      halves.losses.push(await halvesRunner.step(batch));
      parallel.losses.push(await parallelRunner.step(batch));
    }
    return { whole, halves, parallel, replica: await parallelRunner.readReplica() };
  } finally {
    await parallelRunner.dispose();
  }
}

/**
 * Two threads give the one-thread half-batch run's losses and weights bit for bit, and a whole-batch
 * run's up to float32 round-off.
 */
async function assertEquivalent(arch: ArchConfig, batches: readonly TrainBatch[]): Promise<void> {
  const { whole, halves, parallel, replica } = await trainAll(arch, batches);
  const untrained = freshPair(arch);
  try {
    assert.deepEqual(parallel.losses, halves.losses, 'losses on one and two threads');
    whole.losses.forEach((loss, i) => {
      const got = parallel.losses[i] ?? Number.NaN;
      assert.ok(Math.abs(got - loss) <= 1e-5 * Math.max(1, loss), `step ${i}: whole ${loss}, halves ${got}`);
    });
    const parallelWeights = await weightsOf(parallel.model);
    assert.equal(
      maxAbsDiff(await weightsOf(halves.model), parallelWeights),
      0,
      'weights on one and two threads',
    );
    assert.ok(maxAbsDiff(await weightsOf(whole.model), parallelWeights) < 1e-5, 'drifted from whole batches');
    assert.equal(maxAbsDiff(parallelWeights, replica), 0, "the worker's copy must equal the main thread's");
    assert.ok(
      maxAbsDiff(parallelWeights, await weightsOf(untrained.model)) > 1e-3,
      'training changed nothing',
    );
  } finally {
    disposeAll(whole, halves, parallel, untrained);
  }
}

before(useTestBackend);

describe('parallel step runner', () => {
  test('dense: two threads match one thread bit for bit, odd batches and a batch of one included', async () => {
    await assertEquivalent(tinyArch(), batchesFor());
  });

  test('denoising inputs (input differs from target) match one thread bit for bit', async () => {
    await assertEquivalent(tinyArch({ arch: 'denoising' }), batchesFor(true));
  });

  test('conv: two threads match one thread bit for bit', async () => {
    const conv = tinyArch({
      arch: 'conv',
      hidden: [],
      conv: { filters: [2], kernelSize: 3, unpool: 'transpose' },
    });
    await assertEquivalent(conv, batchesFor().slice(0, 3));
  });

  test('vae: trains, and the worker holds the same weights though it draws its own noise', async () => {
    const { whole, halves, parallel, replica } = await trainAll(tinyArch({ arch: 'vae' }), batchesFor());
    // the worker's rows get other noise than in a one-thread run: equal in distribution, not in value
    try {
      assert.ok(parallel.losses.every(Number.isFinite));
      assert.equal(maxAbsDiff(await weightsOf(parallel.model), replica), 0);
    } finally {
      disposeAll(whole, halves, parallel);
    }
  });

  test('leaves no tensors behind in the main thread across steps', async () => {
    const side = freshPair(tinyArch());
    const runner = createParallelRunner(side.model, side.optimizer);
    try {
      const batch = makeBatch(8, 7);
      await runner.step(batch);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await runner.step(batch);
      await runner.readReplica();
      assert.equal(tf.memory().numTensors, before);
    } finally {
      await runner.dispose();
      disposeAll(side);
    }
  });

  test('weights assigned outside step (resume, best-weights restore) reach the worker', async () => {
    const local = freshPair(tinyArch());
    const parallel = freshPair(tinyArch());
    const localRunner = createHalvesRunner(local.model, local.optimizer);
    const runner = createParallelRunner(parallel.model, parallel.optimizer);
    try {
      for (const [side, sideRunner] of [
        [local, localRunner],
        [parallel, runner],
      ] as const) {
        side.losses.push(await sideRunner.step(makeBatch(8, 1)));
        const first = side.model.variables[0] as tf.Variable;
        first.assign(tf.fill(first.shape, 0.05));
        side.losses.push(await sideRunner.step(makeBatch(8, 2)));
      }
      assert.deepEqual(parallel.losses, local.losses);
      assert.equal(maxAbsDiff(await weightsOf(parallel.model), await runner.readReplica()), 0);
    } finally {
      await runner.dispose();
      disposeAll(local, parallel);
    }
  });

  test('after dispose, step rejects and the worker is gone', async () => {
    const side = freshPair(tinyArch());
    const runner = createParallelRunner(side.model, side.optimizer);
    await runner.step(makeBatch(4, 2));
    await runner.dispose();
    await assert.rejects(runner.step(makeBatch(4, 2)), { message: 'The parallel step runner was disposed' });
    disposeAll(side);
  });

  test('works with an optimizer the worker has never heard of (only this thread updates)', async () => {
    class TestOnlySgd extends tf.SGDOptimizer {
      static override get className() {
        return 'TestOnlySgd';
      }
    }
    const sgd = () => new TestOnlySgd(0.5);
    const { whole, halves, parallel } = await trainAll(tinyArch(), batchesFor().slice(0, 3), sgd);
    try {
      assert.equal(maxAbsDiff(await weightsOf(halves.model), await weightsOf(parallel.model)), 0);
    } finally {
      disposeAll(whole, halves, parallel);
    }
  });

  test('a model that does not match its config fails in the worker with both shapes', async () => {
    const model = buildAutoencoder(tinyArch());
    const lying: Autoencoder = { ...model, config: tinyArch({ codeSize: 5 }) };
    const optimizer = tf.train.adam(LEARNING_RATE);
    const runner = createParallelRunner(lying, optimizer);
    try {
      await assert.rejects(
        runner.step(makeBatch(4, 4)),
        /^Error: Parallel training worker failed: The worker's model has variables \[.*\] but the main thread's has \[.*\]/,
      );
    } finally {
      await runner.dispose();
      model.dispose();
      optimizer.dispose();
    }
  });
});

describe('adaptive runner (--threads auto)', () => {
  const FAST_MS = 1;
  const SLOW_MS = 3;

  /** A clock on which a step takes FAST_MS on `fastThreads` threads and SLOW_MS on the other count. */
  function fakeClock(fastThreads: 1 | 2) {
    let t = 0;
    let runner: AdaptiveRunner | undefined;
    const now = () => {
      t += runner?.threads === fastThreads ? FAST_MS : SLOW_MS;
      return t;
    };
    return { now, attach: (r: AdaptiveRunner) => (runner = r) };
  }

  const settings = { warmSteps: 1, probeSteps: 2, period: 6, maxLosses: 2 };

  test('switches to two threads when they measure faster, and computes what one thread does, bit for bit', async () => {
    const clock = fakeClock(2);
    const local = freshPair(tinyArch());
    const adaptive = freshPair(tinyArch());
    const localRunner = createHalvesRunner(local.model, local.optimizer);
    const runner = clock.attach(
      createAdaptiveRunner(adaptive.model, adaptive.optimizer, { ...settings, now: clock.now }),
    );
    const used = { 1: 0, 2: 0 };
    try {
      await runner.ready();
      for (let i = 0; i < 24; i++) {
        const batch = makeBatch(i % 3 === 0 ? 7 : 8, 300 + i);
        used[runner.threads]++;
        local.losses.push(await localRunner.step(batch));
        adaptive.losses.push(await runner.step(batch));
      }
      // one-thread steps: the first measurement, and one short re-measurement every `period` steps
      assert.ok(used[2] > used[1], `steps on 1 and 2 threads: ${used[1]}, ${used[2]}`);
      assert.equal(runner.settled, null);
      assert.deepEqual(adaptive.losses, local.losses);
      assert.equal(maxAbsDiff(await weightsOf(local.model), await weightsOf(adaptive.model)), 0);
    } finally {
      await runner.dispose();
      disposeAll(local, adaptive);
    }
  });

  test('settles on one thread, and stops the worker, when two keep measuring slower', async () => {
    const clock = fakeClock(1);
    const side = freshPair(tinyArch());
    const runner = clock.attach(
      createAdaptiveRunner(side.model, side.optimizer, { ...settings, now: clock.now }),
    );
    try {
      await runner.ready();
      for (let i = 0; i < 40; i++) await runner.step(makeBatch(8, 400 + i));
      assert.equal(runner.threads, 1);
      assert.equal(runner.settled, 'two threads were not faster in 2 measurements in a row');
    } finally {
      await runner.dispose();
      disposeAll(side);
    }
  });
});

describe('createRunner', () => {
  const model = () => buildAutoencoder(tinyArch());

  test('threads 1 gives the local runner, threads 2 the parallel one', async () => {
    const m = model();
    const optimizer = tf.train.adam(LEARNING_RATE);
    const one = createRunner(m, optimizer, { threads: 1 });
    const two = createRunner(m, optimizer, { threads: 2 });
    assert.equal(one.threads, 1);
    assert.equal(two.threads, 2);
    await two.dispose();
    m.dispose();
    optimizer.dispose();
  });

  test('auto measures two threads only where they can pay: not for small dense batches', () => {
    const m = model();
    try {
      assert.equal(chooseThreads(m, { threads: 'auto', batchSize: 64 }), 1);
      const big = chooseThreads(m, { threads: 'auto', batchSize: 256 });
      assert.equal(big, availableParallelism() >= 2 ? 'adaptive' : 1);
    } finally {
      m.dispose();
    }
  });

  test('auto keeps the VAE on one thread (its worker draws other noise); threads 2 still runs it on two', () => {
    const m = buildAutoencoder(tinyArch({ arch: 'vae' }));
    try {
      assert.equal(chooseThreads(m, { threads: 'auto', batchSize: 256 }), 1);
      assert.equal(chooseThreads(m, { threads: 2, batchSize: 256 }), 2);
    } finally {
      m.dispose();
    }
  });

  test('threads 2 on a loss that couples the rows of a batch is a BAD_OPTION', () => {
    const m = buildAutoencoder(tinyArch({ labelLoss: { weight: 1 } }));
    try {
      assert.equal(chooseThreads(m, { threads: 'auto' }), 1);
      assert.throws(
        () => chooseThreads(m, { threads: 2 }),
        (err: unknown) =>
          isAesearchError(err, 'BAD_OPTION') &&
          err.message ===
            'Expected --threads to be 1 (or auto) because the label loss compares the images of a batch with each other but received 2',
      );
    } finally {
      m.dispose();
    }
  });
});

describe('runTraining --threads', () => {
  let dataset: Dataset;
  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
  });

  for (const threads of [1, 2] as const) {
    test(`threads ${threads} computes every step there and says so`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const result = await trainBriefly(dir, dataset, { codeSize: 4, steps: 3, threads: `${threads}` });
        assert.deepEqual(result.stepsOn, threads === 1 ? { 1: 3, 2: 0 } : { 1: 0, 2: 3 });
      } finally {
        await cleanup();
      }
    });
  }

  test('a seeded run saves the same weights, bit for bit, on threads 1, 2 and auto', async () => {
    const hashes: Record<string, string> = {};
    for (const threads of ['1', '2', 'auto'] as const) {
      const { dir, cleanup } = await tempDir();
      try {
        // batch 128 and an odd last batch (200 images): auto takes the adaptive runner, the halves differ in size
        const settings = { codeSize: 4, steps: 2, batchSize: 128, seed: 5, threads };
        hashes[threads] = (await trainBriefly(dir, dataset, settings)).manifest.weightsHash;
      } finally {
        await cleanup();
      }
    }
    assert.equal(hashes['2'], hashes['1']);
    assert.equal(hashes.auto, hashes['1']);
  });
});
