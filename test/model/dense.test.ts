import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildAutoencoder, defaultArchConfig } from '../../src/model/architectures/index.js';
import { createLocalRunner } from '../../src/train/step-runner.js';
import { useTestBackend } from '../helpers/backend.js';

function fixedBatch(n: number, area: number): Float32Array {
  const x = new Float32Array(n * area);
  for (let i = 0; i < x.length; i++) x[i] = ((i * 7919) % 255) / 255;
  return x;
}

describe('dense autoencoder', () => {
  before(useTestBackend);

  it('maps [N, side*side] to codes [N, codeSize] and back to [N, side*side] in [0, 1]', () => {
    const model = buildAutoencoder(defaultArchConfig('dense', { side: 8, codeSize: 5, hidden: [16, 8] }));
    try {
      tf.tidy(() => {
        const x = tf.tensor2d(fixedBatch(3, 64), [3, 64]);
        const code = model.encoder.predict(x) as tf.Tensor;
        assert.deepEqual(code.shape, [3, 5]);
        const recon = model.decoder.predict(code) as tf.Tensor;
        assert.deepEqual(recon.shape, [3, 64]);
        const values = recon.dataSync();
        assert.ok(values.every((v) => v >= 0 && v <= 1));
      });
    } finally {
      model.dispose();
    }
  });

  it('lowers its loss on a fixed batch', async () => {
    const model = buildAutoencoder(defaultArchConfig('dense', { side: 8, codeSize: 4, hidden: [32, 16] }));
    const optimizer = tf.train.adam(1e-2);
    const runner = createLocalRunner(model, optimizer);
    try {
      const x = fixedBatch(16, 64);
      const batch = { n: 16, input: x, target: x, labels: null };
      const first = await runner.step(batch);
      let last = first;
      for (let i = 0; i < 60; i++) last = await runner.step(batch);
      assert.ok(last < first * 0.5, `loss went from ${first} to ${last}`);
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  });

  it('leaks no tensors across training steps after a warm-up step', async () => {
    const model = buildAutoencoder(defaultArchConfig('denoising', { side: 8, codeSize: 4, hidden: [8] }));
    const optimizer = tf.train.adam(1e-3);
    const runner = createLocalRunner(model, optimizer);
    try {
      const x = fixedBatch(4, 64);
      const batch = { n: 4, input: x.map((v) => 1 - v), target: x, labels: null };
      await runner.step(batch);
      const before = tf.memory().numTensors;
      for (let i = 0; i < 5; i++) await runner.step(batch);
      tf.tidy(() => {
        model.encoder.predict(tf.zeros([2, 64]));
      });
      assert.equal(tf.memory().numTensors, before);
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  });
});
