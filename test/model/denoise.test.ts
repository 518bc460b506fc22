/**
 * Clearing noisy backgrounds (`--denoise`): the tfjs implementation against a plain reference, clean
 * images left alone and noisy copies cleared, the layer passing images through in training and clearing
 * them outside it, and a trained model whose weights are those of the same run without it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { addGaussianNoise } from '../../src/eval/perturb.js';
import { DENOISE_GATE, denoiseImages, speckleShare } from '../../src/model/architectures/denoise.js';
import { BRIGHT_THRESHOLD } from '../../src/model/architectures/image-layer.js';
import { buildAutoencoder, defaultArchConfig } from '../../src/model/architectures/index.js';
import { decoderFrameBytes } from '../../src/model/architectures/input-steps.js';
import { embedImages } from '../../src/model/encoder.js';
import { loadModel } from '../../src/model/store.js';
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

/** The rule of denoise.ts written out pixel by pixel, for one image of side x side x channels floats. */
function referenceDenoise(
  img: Float32Array,
  side: number,
  channels: number,
): { out: Float32Array; share: number } {
  const inFrame = (x: number, y: number) => x >= 0 && y >= 0 && x < side && y < side;
  const at = (x: number, y: number, c: number) =>
    inFrame(x, y) ? (img[(y * side + x) * channels + c] ?? 0) : 0;
  const lit = (x: number, y: number) => {
    for (let c = 0; c < channels; c++) if (at(x, y, c) > 0) return true;
    return false;
  };
  const means = referenceBrightness(img, side, channels);
  const bright = (x: number, y: number) => (means[y * side + x] ?? 0) > BRIGHT_THRESHOLD;
  const near = (x: number, y: number, margin: number) => {
    for (let v = -margin; v <= margin; v++)
      for (let u = -margin; u <= margin; u++) if (inFrame(x + u, y + v) && bright(x + u, y + v)) return true;
    return false;
  };
  let background = 0;
  let specks = 0;
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      if (near(x, y, 2)) continue;
      background++;
      const besideBlack = [
        [1, 0],
        [-1, 0],
        [0, 1],
        [0, -1],
      ].some(([u, v]) => inFrame(x + (u ?? 0), y + (v ?? 0)) && !lit(x + (u ?? 0), y + (v ?? 0)));
      if (lit(x, y) && besideBlack) specks++;
    }
  const share = specks / Math.max(background, 1);
  const out = img.slice();
  if (share > DENOISE_GATE)
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++)
        if (!near(x, y, 1)) for (let c = 0; c < channels; c++) out[(y * side + x) * channels + c] = 0;
  return { out, share };
}

/** `img` with every other background pixel lit at `value`: specks on black. */
function speckled(img: Float32Array, side: number, channels: number, value = 0.1): Float32Array {
  const out = img.slice();
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++)
      if ((x + y) % 2 === 0 && (out[(y * side + x) * channels] ?? 0) === 0)
        for (let c = 0; c < channels; c++) out[(y * side + x) * channels + c] = value;
  return out;
}

const toFloats = (bytes: Uint8Array) => Float32Array.from(bytes, (v) => v / 255);

describe('clearing noisy backgrounds', () => {
  let dataset: Dataset;
  let temp: TempDir;
  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
    temp = await tempDir('aesearch-denoise-');
  });
  after(() => temp.cleanup());

  it('clears as the pixel-by-pixel rule does, grayscale and colour', () => {
    for (const channels of [1, 3]) {
      const box = rectangle(16, channels, [5, 10, 4, 11]);
      const cases = [
        box, // clean: no specks, unchanged
        speckled(box, 16, channels), // specks all over the background: cleared
        speckled(rectangle(16, channels, [0, 15, 0, 15], 0.05), 16, channels), // dim everywhere, nothing bright
        new Float32Array(16 * 16 * channels), // black
        rectangle(16, channels, [0, 15, 0, 15]), // all bright: no background
      ];
      const got = throughStep(cases, 16, channels, denoiseImages);
      const shares = throughStep(cases, 16, channels, speckleShare);
      const area = 16 * 16 * channels;
      cases.forEach((img, i) => {
        const want = referenceDenoise(img, 16, channels);
        assertClose(got.subarray(i * area, (i + 1) * area), want.out, `case ${i}, ${channels} ch`);
        assertClose([shares[i] ?? -1], [want.share], `share of case ${i}, ${channels} ch`);
      });
      // the object stays, with the specks within 2 px of it (its 3x3 means reach 1 px out, kept 1 px more)
      const cleared = got.subarray(area, 2 * area);
      for (let y = 0; y < 16; y++)
        for (let x = 0; x < 16; x++) {
          const inBox = x >= 5 && x <= 10 && y >= 4 && y <= 11;
          const near = x >= 3 && x <= 12 && y >= 2 && y <= 13;
          const at = (y * 16 + x) * channels;
          if (inBox) assert.equal(cleared[at], box[at], `object pixel ${x},${y}`);
          else if (!near) assert.equal(cleared[at], 0, `background pixel ${x},${y}`);
        }
      assert.ok(largestDifference(got.subarray(0, area), box) === 0, 'a clean image is untouched');
    }
    const n = 40;
    const pixels = dataset.database.pixels.subarray(0, n * 784);
    for (const [what, bytes] of [
      ['clean', pixels],
      ['noisy', addGaussianNoise(pixels, 0.1, 3)],
    ] as const) {
      const real = Array.from({ length: n }, (_, i) => toFloats(bytes.subarray(i * 784, (i + 1) * 784)));
      const got = throughStep(real, 28, 1, denoiseImages);
      real.forEach((img, i) => {
        assertClose(
          got.subarray(i * 784, (i + 1) * 784),
          referenceDenoise(img, 28, 1).out,
          `${what} image ${i}`,
        );
      });
    }
  });

  it('leaves clean images alone and brings noisy copies closer to them', () => {
    const n = dataset.database.count;
    const clean = toFloats(dataset.database.pixels);
    const noisy = toFloats(addGaussianNoise(dataset.database.pixels, 0.1, 1));
    const [cleared, fromNoisy, shares] = tf.tidy(() => {
      const c = tf.tensor2d(clean, [n, 784]);
      const x = tf.tensor2d(noisy, [n, 784]);
      return [
        denoiseImages(c, 28, 1).dataSync(),
        denoiseImages(x, 28, 1).dataSync(),
        speckleShare(x, 28, 1).dataSync(),
      ];
    });
    assert.equal(largestDifference(cleared ?? [], clean), 0, 'clean images pass unchanged');
    const fired = Array.from(shares ?? []).filter((s) => s > DENOISE_GATE).length;
    assert.ok(fired >= 0.95 * n, `noisy copies cleared: ${fired} of ${n}`);
    const distance = (a: ArrayLike<number>, i: number) => {
      let s = 0;
      for (let j = i * 784; j < (i + 1) * 784; j++) s += ((a[j] ?? 0) - (clean[j] ?? 0)) ** 2;
      return s;
    };
    const closer = Array.from({ length: n }, (_, i) => distance(fromNoisy ?? [], i) < distance(noisy, i));
    assert.ok(closer.filter(Boolean).length >= 0.95 * n, 'cleared copies are closer to their images');
  });

  it('passes images through while training and clears them when embedding; the decoder frame leaves it out', () => {
    const config = defaultArchConfig('conv', { codeSize: 8, denoise: true });
    const model = buildAutoencoder(config);
    try {
      assert.equal(model.encoder.layers[1]?.getClassName(), 'AesearchDenoise');
      const img = speckled(rectangle(28, 1, [8, 19, 2, 25]), 28, 1);
      const cleared = throughStep([img], 28, 1, denoiseImages);
      assert.ok(largestDifference(cleared, img) > 0.05, 'the test image is one that gets cleared');
      const code = (x: Float32Array, training: boolean) =>
        tf.tidy(() => (model.encoder.apply(tf.tensor2d(x, [1, 784]), { training }) as tf.Tensor).dataSync());
      assertClose(code(img, false), code(cleared, false), 'embedding clears');
      assert.ok(largestDifference(code(img, true), code(cleared, true)) > 1e-4, 'training sees the specks');
      const bytes = Uint8Array.from(img, (v) => Math.round(v * 255));
      assert.deepEqual(decoderFrameBytes(config, bytes), bytes);
    } finally {
      model.dispose();
    }
  });

  it('trains the same weights as without it, and the saved encoder clears noisy queries', async () => {
    const settings = { arch: 'conv' as const, codeSize: 8, steps: 3, seed: 5 };
    const plain = await trainBriefly(join(temp.dir, 'plain'), dataset, settings);
    const dir = join(temp.dir, 'denoised');
    const cleared = await trainBriefly(dir, dataset, { ...settings, denoise: true });
    assert.equal(cleared.manifest.weightsHash, plain.manifest.weightsHash);
    assert.equal(cleared.manifest.arch.denoise, true);
    const model = await loadModel(dir);
    try {
      const pick = dataset.database.pixels.subarray(0, 784 * 8);
      const noisy = toFloats(addGaussianNoise(pick, 0.1, 2));
      const byHand = tf.tidy(() =>
        denoiseImages(tf.tensor2d(noisy, [8, 784]), 28, 1).dataSync(),
      ) as Float32Array;
      const [a, b] = await Promise.all([noisy, byHand].map((x) => embedImages(model.encoder, x, 8)));
      assertClose(a ?? [], b ?? [], 'the loaded encoder embeds a noisy image as its cleared copy', 1e-4);
    } finally {
      model.encoder.dispose();
      model.decoder.dispose();
    }
  });
});
