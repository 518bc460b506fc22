/**
 * Brightness equalising (`--equalise`): the tfjs implementation against a plain reference, darker and
 * brighter copies brought together, the layer acting in training and outside it, training asking for
 * equalised images (the trainer's batches), and a trained model saving and loading with it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { EQUALISE_TARGET, equaliseImages } from '../../src/model/architectures/equalise.js';
import { BRIGHT_THRESHOLD } from '../../src/model/architectures/image-layer.js';
import { buildAutoencoder, defaultArchConfig } from '../../src/model/architectures/index.js';
import { decoderFrameBytes } from '../../src/model/architectures/input-steps.js';
import { embedImages } from '../../src/model/encoder.js';
import { loadModel } from '../../src/model/store.js';
import type { TrainBatch } from '../../src/train/step-runner.js';
import { trainAutoencoder } from '../../src/train/trainer.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, type TempDir, tempDir } from '../helpers/fixtures.js';
import {
  assertClose,
  largestDifference,
  rectangle,
  referenceBrightness,
  throughStep,
} from '../helpers/image-steps.js';
import { trainBriefly } from '../helpers/tiny-index.js';

/** The rule of equalise.ts written out pixel by pixel, for one image of side x side x channels floats. */
function referenceEqualise(img: Float32Array, side: number, channels: number): Float32Array {
  let sum = 0;
  let count = 0;
  for (const m of referenceBrightness(img, side, channels))
    if (m > BRIGHT_THRESHOLD) {
      sum += m;
      count++;
    }
  const mean = Math.min(0.95, Math.max(0.05, sum / Math.max(count, 1)));
  const power = count === 0 ? 1 : Math.min(4, Math.max(0.25, Math.log(EQUALISE_TARGET) / Math.log(mean)));
  return Float32Array.from(img, (v) => v ** power);
}

function equalised(images: Float32Array[], side: number, channels: number): Float32Array {
  return throughStep(images, side, channels, equaliseImages);
}

describe('brightness equalising', () => {
  let dataset: Dataset;
  let temp: TempDir;
  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
    temp = await tempDir('aesearch-equalise-');
  });
  after(() => temp.cleanup());

  it('raises each image to the power the pixel-by-pixel rule gives, grayscale and colour', () => {
    for (const channels of [1, 3]) {
      const cases = [
        rectangle(12, channels, [2, 9, 1, 10], 0.3), // dark: lifted
        rectangle(12, channels, [0, 6, 3, 8], 0.95), // bright: darkened
        rectangle(12, channels, [4, 7, 4, 7], 0.6), // small, edges dimmer in the 3x3 means
        new Float32Array(12 * 12 * channels), // nothing bright: stays
        rectangle(12, channels, [2, 9, 1, 4], 0.1), // too faint to count: stays
        rectangle(12, channels, [0, 11, 0, 11], 0.02), // a faint full frame: stays
      ];
      const got = equalised(cases, 12, channels);
      const area = 12 * 12 * channels;
      cases.forEach((img, i) => {
        assertClose(
          got.subarray(i * area, (i + 1) * area),
          referenceEqualise(img, 12, channels),
          `case ${i}, ${channels} ch`,
        );
      });
      assertClose(got.subarray(4 * area, 5 * area), cases[4] ?? [], `faint case unchanged, ${channels} ch`);
      assert.ok(largestDifference(got.subarray(0, area), cases[0] ?? []) > 0.1, 'the dark case moved');
    }
    const real = Array.from({ length: 40 }, (_, i) =>
      Float32Array.from(dataset.database.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
    );
    const got = equalised(real, 28, 1);
    real.forEach((img, i) => {
      assertClose(got.subarray(i * 784, (i + 1) * 784), referenceEqualise(img, 28, 1), `image ${i}`, 1e-4);
    });
  });

  it('brings darker and brighter copies of an image together', () => {
    const img = Float32Array.from(dataset.database.pixels.subarray(0, 784), (v) => v / 255);
    const copies = [0.6, 0.8, 1.2].map((g) => Float32Array.from(img, (v) => v ** g));
    const meanDifference = (a: ArrayLike<number>, b: ArrayLike<number>) =>
      Array.from(a, (v, i) => Math.abs(v - (b[i] ?? 0))).reduce((x, y) => x + y, 0) / a.length;
    const before = meanDifference(copies[0] ?? [], copies[2] ?? []);
    const out = equalised(copies, 28, 1);
    const after = meanDifference(out.subarray(0, 784), out.subarray(2 * 784, 3 * 784));
    assert.ok(after < before / 2, `copies differ by ${after} per pixel after, ${before} before`);
  });

  it('acts in training and when embedding, asks training for equalised images, and frames reconstructions', async () => {
    const config = defaultArchConfig('conv', { codeSize: 8, equalise: true, recentre: true });
    const model = buildAutoencoder(config);
    try {
      assert.equal(model.encoder.layers[1]?.getClassName(), 'AesearchEqualise');
      assert.equal(model.encoder.layers[2]?.getClassName(), 'AesearchRecentre');
      const img = rectangle(28, 1, [6, 21, 0, 27], 0.3);
      const eq = equalised([img], 28, 1);
      // the same seed without equalising: the same weights, given the equalised image
      const plain = buildAutoencoder({ ...config, equalise: false });
      const code = (m: typeof model, x: Float32Array) =>
        tf.tidy(() =>
          (m.encoder.apply(tf.tensor2d(x, [1, 784]), { training: true }) as tf.Tensor).dataSync(),
        );
      try {
        assertClose(code(model, img), code(plain, eq), 'training sees the equalised image');
        assert.ok(largestDifference(code(model, img), code(plain, img)) > 1e-4, 'not the image itself');
      } finally {
        plain.dispose();
      }
      // the trainer's batches: raw (noisy) inputs, which the encoder equalises, and equalised targets
      const set = { count: 1, pixels: Uint8Array.from(img, (v) => Math.round(v * 255)), labels: null };
      const batches: TrainBatch[] = [];
      const step = async (b: TrainBatch) => {
        batches.push(b);
        return 0;
      };
      const recorder = { step, dispose: () => {} };
      const loop = { epochs: 1, batchSize: 1, seed: 1, stepsPerEpoch: null };
      for (const equalise of [true, false]) {
        const m = { config: { ...config, equalise }, beginEpoch: () => {} } as unknown as typeof model;
        await trainAutoencoder(m, set, null, loop, recorder);
      }
      const [withIt, without] = batches;
      const bytes = Float32Array.from(set.pixels, (v) => v / 255);
      assert.ok(withIt && without, 'one batch each');
      assertClose(withIt.target, equalised([bytes], 28, 1), 'the equalised image is what training asks for');
      assert.deepEqual(Array.from(withIt.input), Array.from(bytes), 'the encoder gets the image itself');
      assert.deepEqual(Array.from(without.target), Array.from(bytes), 'without --equalise the image itself');
      const frame = decoderFrameBytes(
        config,
        Uint8Array.from(img, (v) => Math.round(v * 255)),
      );
      const expected = Uint8Array.from(eq, (v) => Math.round(v * 255));
      assert.ok(largestDifference(frame, expected) <= 1, 'reconstructions compare with the equalised image');
    } finally {
      model.dispose();
    }
  });

  it('trains with it (other weights than without), saves and loads with it', async () => {
    const dir = join(temp.dir, 'equalised');
    const trained = await trainBriefly(dir, dataset, {
      arch: 'conv',
      codeSize: 8,
      steps: 3,
      seed: 5,
      equalise: true,
    });
    assert.equal(trained.manifest.arch.equalise, true);
    const plain = await trainBriefly(join(temp.dir, 'plain'), dataset, {
      arch: 'conv',
      codeSize: 8,
      steps: 3,
      seed: 5,
    });
    assert.notEqual(trained.manifest.weightsHash, plain.manifest.weightsHash);
    const model = await loadModel(dir);
    try {
      assert.equal(model.encoder.layers[1]?.getClassName(), 'AesearchEqualise');
      const dark = Float32Array.from(dataset.database.pixels.subarray(0, 784 * 4), (v) => (v / 255) ** 1.5);
      const codes = await embedImages(model.encoder, dark, 4);
      assert.equal(codes.length, 4 * 8);
      assert.ok(codes.every(Number.isFinite), 'finite codes');
    } finally {
      model.encoder.dispose();
      model.decoder.dispose();
    }
  });
});
