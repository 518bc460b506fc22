/**
 * Presets and settings resolution: explicit settings beat the preset, the preset beats the defaults,
 * and every preset builds, trains a couple of steps on tiny data and saves a loadable model that names it.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { IDX_FORMAT } from '../../src/image/preprocess.js';
import { PRESET_NAMES, PRESETS, SEED_ARCH } from '../../src/model/presets.js';
import { loadModel } from '../../src/model/store.js';
import { resolveTrainConfig } from '../../src/train/train-config.js';
import { runTraining } from '../../src/train/train-run.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';

describe('train settings', () => {
  it('takes built-in defaults when nothing is set', () => {
    const config = resolveTrainConfig({}, IDX_FORMAT);
    assert.equal(config.arch.arch, 'dense');
    assert.equal(config.arch.codeSize, 32);
    assert.equal(config.epochs, 10);
    assert.equal(config.preset, null);
    assert.equal(config.labels, null);
    assert.equal(config.threads, 'auto');
    assert.equal(config.resume, false);
    assert.equal(config.stepsPerEpoch, null);
  });

  it("resolves the run's own settings: threads, resume and steps per epoch", () => {
    const config = resolveTrainConfig({ threads: '2', resume: true, steps: 7 }, IDX_FORMAT);
    assert.equal(config.threads, 2);
    assert.equal(config.resume, true);
    assert.equal(config.stepsPerEpoch, 7);
  });

  it("lets explicit settings override the preset's", () => {
    const config = resolveTrainConfig({ preset: 'seed', codeSize: 8, epochs: 2 }, IDX_FORMAT);
    assert.equal(config.preset, 'seed');
    assert.equal(config.arch.codeActivation, 'relu');
    assert.equal(config.arch.codeSize, 8);
    assert.equal(config.epochs, 2);
    assert.equal(config.batchSize, PRESETS.seed.settings.batchSize);
  });

  it("builds the seed's dense autoencoder 784-256-64-20 with a ReLU code from the seed preset", () => {
    const { arch } = resolveTrainConfig({ preset: 'seed' }, IDX_FORMAT);
    assert.deepEqual(
      [arch.arch, arch.side ** 2, ...arch.hidden, arch.codeSize, arch.codeActivation],
      ['dense', 784, 256, 64, 20, 'relu'],
    );
    assert.deepEqual(SEED_ARCH, { arch: 'dense', hidden: [256, 64], codeSize: 20, codeActivation: 'relu' });
  });

  it('gives each corruption its level, --noise-level, or its default', () => {
    const config = resolveTrainConfig(
      { noise: [{ type: 'shift' }, { type: 'masking', level: 0.1 }] },
      IDX_FORMAT,
    );
    assert.deepEqual(config.arch.noise, [
      { type: 'shift', level: 2 },
      { type: 'masking', level: 0.1 },
    ]);
    const denoising = resolveTrainConfig({ arch: 'denoising', noiseLevel: 0.2 }, IDX_FORMAT);
    assert.deepEqual(denoising.arch.noise, [{ type: 'gaussian', level: 0.2 }]);
  });

  it('refuses a crop, colour or strip level that would leave no image, given or from --noise-level', () => {
    for (const settings of [
      { noise: [{ type: 'crop' as const, level: 5 }] },
      { noise: [{ type: 'strip' as const }], noiseLevel: 2 },
      { noise: [{ type: 'colour' as const, level: 1.5 }] },
    ])
      assert.throws(
        () => resolveTrainConfig(settings, IDX_FORMAT),
        (err: Error & { code?: string }) => err.code === 'BAD_OPTION' && /--noise/.test(err.message),
      );
    const edge = resolveTrainConfig({ noise: [{ type: 'crop', level: 0.5 }] }, IDX_FORMAT);
    assert.deepEqual(edge.arch.noise, [{ type: 'crop', level: 0.5 }]);
  });

  it('turns on the label loss and plan with --labels-per-class, and checks the batch share', () => {
    const config = resolveTrainConfig({ labelsPerClass: 6, labelsPerBatch: 8, batchSize: 32 }, IDX_FORMAT);
    assert.ok(config.arch.labelLoss);
    assert.equal(config.labels?.perClass, 6);
    assert.throws(
      () => resolveTrainConfig({ labelsPerClass: 6, labelsPerBatch: 32, batchSize: 32 }, IDX_FORMAT),
      (err: Error & { code?: string }) =>
        err.code === 'BAD_OPTION' &&
        err.message === 'Expected --labels-per-batch to be below --batch-size (32) but received 32',
    );
  });

  it('refuses a stacked run too short to fine-tune', () => {
    assert.throws(
      () => resolveTrainConfig({ arch: 'stacked', epochs: 3 }, IDX_FORMAT),
      (err: Error & { code?: string }) =>
        err.code === 'BAD_OPTION' &&
        err.message.startsWith('Expected --epochs to be above 3 (pre-training epochs per layer x layers)'),
    );
  });
});

describe('presets', () => {
  let dataset: Dataset;
  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
  });

  for (const name of PRESET_NAMES) {
    it(`${name} trains two steps and saves a loadable model that records the preset`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const config = resolveTrainConfig(
          // one epoch, and the preset's self-training epochs after it
          {
            preset: name,
            epochs: 1 + (PRESETS[name].settings.selfTrain ?? 0),
            batchSize: 64,
            labelsPerBatch: 16,
            steps: 2,
          },
          IDX_FORMAT,
        );
        const labels = config.labels ? { ...config.labels, perClass: 3 } : null;
        await runTraining({ ...config, labels }, { indexDir: dir, dataset, backend: 'test' });
        const model = await loadModel(dir);
        assert.equal(model.manifest.training.preset, name);
        assert.equal(model.manifest.codeSize, config.arch.codeSize);
        const code = tf.tidy(() => (model.encoder.predict(tf.zeros([1, 784])) as tf.Tensor).shape);
        assert.deepEqual(code, [1, config.arch.codeSize]);
        model.encoder.dispose();
        model.decoder.dispose();
      } finally {
        await cleanup();
      }
    });
  }
});
