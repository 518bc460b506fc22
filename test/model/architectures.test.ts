/**
 * Every --arch on tiny shapes: output shapes, the loss falling on a fixed batch, no tensor leaks after a
 * warm-up step, and a save/load round trip of the encoder that gives the same codes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import {
  type ArchConfig,
  type ArchName,
  buildAutoencoder,
  defaultArchConfig,
} from '../../src/model/architectures/index.js';
import { archConfigSchema } from '../../src/model/architectures/schema.js';
import { loadLayersModel, saveLayersModel } from '../../src/model/model-io.js';
import { createLocalRunner, type TrainBatch } from '../../src/train/step-runner.js';
import { useTestBackend } from '../helpers/backend.js';
import { tempDir } from '../helpers/fixtures.js';

const SIDE = 8;
const AREA = SIDE * SIDE;

/** A fixed batch of smooth blobs (learnable, unlike hashed noise). */
function blobs(n: number): Float32Array {
  const x = new Float32Array(n * AREA);
  for (let i = 0; i < n; i++) {
    const cx = 2 + (i % 4);
    const cy = 2 + ((i * 3) % 4);
    for (let p = 0; p < AREA; p++) {
      const d2 = ((p % SIDE) - cx) ** 2 + (Math.floor(p / SIDE) - cy) ** 2;
      x[i * AREA + p] = Math.exp(-d2 / (2 + (i % 3)));
    }
  }
  return x;
}

const TINY: Partial<ArchConfig> = {
  side: SIDE,
  codeSize: 4,
  hidden: [16],
  conv: { filters: [4, 8], kernelSize: 3, unpool: 'copy' },
};

const CASES: { name: string; arch: ArchName; config?: Partial<ArchConfig> }[] = [
  { name: 'dense', arch: 'dense' },
  { name: 'denoising', arch: 'denoising' },
  { name: 'conv, copy unpooling', arch: 'conv', config: { hidden: [] } },
  {
    name: 'conv, argmax unpooling',
    arch: 'conv',
    config: { conv: { filters: [4, 8], kernelSize: 3, unpool: 'argmax' } },
  },
  {
    name: 'conv, transposed-conv unpooling',
    arch: 'conv',
    config: { conv: { filters: [4, 8], kernelSize: 3, unpool: 'transpose' } },
  },
  { name: 'vae', arch: 'vae', config: { klWeight: 0.01 } },
  { name: 'stacked', arch: 'stacked' },
  { name: 'conv + labels', arch: 'conv', config: { labelLoss: { weight: 0.01 } } },
];

function batchFor(config: ArchConfig, n: number): TrainBatch {
  const x = blobs(n);
  const labels = config.labelLoss
    ? Int32Array.from({ length: n }, (_, i) => (i % 3 === 2 ? -1 : i % 2))
    : null;
  return { n, input: x, target: x, labels };
}

describe('architectures', () => {
  before(useTestBackend);

  for (const c of CASES) {
    describe(c.name, () => {
      const config = defaultArchConfig(c.arch, { ...TINY, ...c.config });

      it('maps [N, side*side] to codes [N, codeSize] and back to [N, side*side] in [0, 1]', () => {
        const model = buildAutoencoder(config);
        try {
          tf.tidy(() => {
            const code = model.encoder.predict(tf.tensor2d(blobs(3), [3, AREA])) as tf.Tensor;
            assert.deepEqual(code.shape, [3, 4]);
            const recon = model.decoder.predict(code) as tf.Tensor;
            assert.deepEqual(recon.shape, [3, AREA]);
            assert.ok(recon.dataSync().every((v) => v >= 0 && v <= 1));
          });
        } finally {
          model.dispose();
        }
      });

      it('lowers its loss on a fixed batch', async () => {
        const model = buildAutoencoder(config);
        const optimizer = tf.train.adam(1e-2);
        const runner = createLocalRunner(model, optimizer);
        try {
          const batch = batchFor(config, 16);
          const first = await runner.step(batch);
          let last = first;
          for (let i = 0; i < 40; i++) last = await runner.step(batch);
          assert.ok(Number.isFinite(last) && last < first * 0.7, `loss went from ${first} to ${last}`);
        } finally {
          model.dispose();
          optimizer.dispose();
        }
      });

      it('leaks no tensors across training steps after a warm-up step', async () => {
        const model = buildAutoencoder(config);
        const optimizer = tf.train.adam(1e-3);
        const runner = createLocalRunner(model, optimizer);
        try {
          const batch = { ...batchFor(config, 4), input: blobs(4).map((v) => 1 - v) };
          await runner.step(batch);
          const before = tf.memory().numTensors;
          for (let i = 0; i < 3; i++) await runner.step(batch);
          tf.tidy(() => {
            model.decoder.predict(model.encoder.predict(tf.zeros([2, AREA])) as tf.Tensor);
          });
          assert.equal(tf.memory().numTensors, before);
        } finally {
          model.dispose();
          optimizer.dispose();
        }
      });

      it('saves an encoder that loads back and gives the same codes', async () => {
        const model = buildAutoencoder(config);
        const { dir, cleanup } = await tempDir();
        try {
          await saveLayersModel(model.encoder, join(dir, 'encoder'));
          const loaded = await loadLayersModel(join(dir, 'encoder'));
          const [a, b] = tf.tidy(() => {
            const x = tf.tensor2d(blobs(2), [2, AREA]);
            return [model.encoder.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
          });
          assert.deepEqual(Array.from(b?.dataSync() ?? []), Array.from(a?.dataSync() ?? []));
          tf.dispose([a, b]);
          loaded.dispose();
        } finally {
          model.dispose();
          await cleanup();
        }
      });
    });
  }

  it('refuses a conv model whose side does not halve once per block', () => {
    assert.throws(
      () =>
        buildAutoencoder(
          defaultArchConfig('conv', { side: 10, conv: { filters: [2, 2], kernelSize: 3, unpool: 'copy' } }),
        ),
      (err: Error & { code?: string }) =>
        err.code === 'BAD_OPTION' &&
        err.message === 'Expected the image side to be a multiple of 4 for 2 conv blocks but received 10',
    );
  });

  describe('colour input: 16x16 pixels of 3 channels', () => {
    const SIDE3 = 16;
    const SIZE3 = SIDE3 * SIDE3 * 3;
    /** Red, green and blue blobs in different places: learnable colour. */
    function rgbBlobs(n: number): Float32Array {
      const x = new Float32Array(n * SIZE3);
      for (let i = 0; i < n; i++)
        for (let p = 0; p < SIDE3 * SIDE3; p++)
          for (let c = 0; c < 3; c++) {
            const d2 = ((p % SIDE3) - 4 - 4 * c) ** 2 + (Math.floor(p / SIDE3) - 4 - (i % 8)) ** 2;
            x[(i * SIDE3 * SIDE3 + p) * 3 + c] = Math.exp(-d2 / 6);
          }
      return x;
    }
    const colourCases: [string, ArchName, Partial<ArchConfig>][] = [
      ['dense', 'dense', {}],
      ['denoising', 'denoising', {}],
      ['vae', 'vae', { klWeight: 0.01 }],
      ['stacked', 'stacked', {}],
      ['conv, copy', 'conv', { conv: { filters: [4, 8], kernelSize: 3, unpool: 'copy' } }],
      ['conv, argmax', 'conv', { conv: { filters: [4, 8], kernelSize: 3, unpool: 'argmax' } }],
      ['conv, transpose', 'conv', { conv: { filters: [4, 8], kernelSize: 3, unpool: 'transpose' } }],
    ];
    for (const [name, arch, extra] of colourCases) {
      it(`${name} encodes [N, 16*16*3], reconstructs [N, 16*16*3] and trains a step`, async () => {
        const config = defaultArchConfig(arch, { ...TINY, side: SIDE3, channels: 3, ...extra });
        const model = buildAutoencoder(config);
        const optimizer = tf.train.adam(1e-2);
        const runner = createLocalRunner(model, optimizer);
        try {
          tf.tidy(() => {
            const code = model.encoder.predict(tf.tensor2d(rgbBlobs(2), [2, SIZE3])) as tf.Tensor;
            assert.deepEqual(code.shape, [2, 4]);
            assert.deepEqual((model.decoder.predict(code) as tf.Tensor).shape, [2, SIZE3]);
          });
          const x = rgbBlobs(8);
          const first = await runner.step({ n: 8, input: x, target: x, labels: null });
          let last = first;
          for (let i = 0; i < 20; i++) last = await runner.step({ n: 8, input: x, target: x, labels: null });
          assert.ok(Number.isFinite(last) && last < first, `loss went from ${first} to ${last}`);
        } finally {
          model.dispose();
          optimizer.dispose();
        }
      });
    }

    it('conv sees a [side, side, 3] grid and its decoder ends with 3 filters', () => {
      const model = buildAutoencoder(defaultArchConfig('conv', { ...TINY, side: SIDE3, channels: 3 }));
      try {
        assert.deepEqual(model.encoder.getLayer('to_grid').outputShape, [null, SIDE3, SIDE3, 3]);
        assert.deepEqual(model.decoder.getLayer('deconv_0').outputShape, [null, SIDE3, SIDE3, 3]);
      } finally {
        model.dispose();
      }
    });

    it('reads a recorded config without channels as grayscale (models from before colour)', () => {
      const { channels: _, ...old } = defaultArchConfig('dense');
      assert.equal(archConfigSchema.parse(old).channels, 1);
    });
  });
});
