/**
 * Re-centring (`--recentre`): the tfjs implementation against a plain reference, shifted copies brought
 * back, the layer passing images through in training and aligning them outside it, the saved encoder
 * loading with it, and a trained model whose weights are those of the same run without it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { shiftImages } from '../../src/eval/perturb.js';
import { BRIGHT_THRESHOLD } from '../../src/model/architectures/image-layer.js';
import { buildAutoencoder, defaultArchConfig } from '../../src/model/architectures/index.js';
import { decoderFrameBytes } from '../../src/model/architectures/input-steps.js';
import { recentreImages } from '../../src/model/architectures/recentre.js';
import { embedImages } from '../../src/model/encoder.js';
import { loadModel } from '../../src/model/store.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, type TempDir, tempDir } from '../helpers/fixtures.js';
import { assertClose, rectangle, referenceBrightness, throughStep } from '../helpers/image-steps.js';
import { trainBriefly } from '../helpers/tiny-index.js';

/** The rule of recentre.ts written out pixel by pixel, for one image of side x side x channels floats. */
function referenceRecentre(img: Float32Array, side: number, channels: number): Float32Array {
  const at = (x: number, y: number, c: number) =>
    x < 0 || y < 0 || x >= side || y >= side ? 0 : (img[(y * side + x) * channels + c] ?? 0);
  const means = referenceBrightness(img, side, channels);
  const bright = Array.from({ length: side }, (_, y) =>
    Array.from({ length: side }, (_, x) => (means[y * side + x] ?? 0) > BRIGHT_THRESHOLD),
  );
  const offset = (on: (k: number) => boolean) => {
    const ks = Array.from({ length: side }, (_, k) => k).filter(on);
    if (ks.length === 0) return 0;
    const a = ks[0] ?? 0;
    const b = ks[ks.length - 1] ?? 0;
    if (a === 0 && b === side - 1) return 0;
    if (a === 0) return side - 1 - b;
    if (b === side - 1) return -a;
    const centre = (side - 1) / 2 - (a + b) / 2;
    return Math.abs(centre) <= 0.5 ? 0 : centre;
  };
  const dx = offset((x) => bright.some((row) => row[x]));
  const dy = offset((y) => bright[y]?.some(Boolean) ?? false);
  const out = new Float32Array(img.length);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      const fx = x - dx;
      const fy = y - dy;
      const x0 = Math.floor(fx);
      const y0 = Math.floor(fy);
      const ax = fx - x0;
      const ay = fy - y0;
      for (let c = 0; c < channels; c++)
        out[(y * side + x) * channels + c] =
          (1 - ax) * (1 - ay) * at(x0, y0, c) +
          ax * (1 - ay) * at(x0 + 1, y0, c) +
          (1 - ax) * ay * at(x0, y0 + 1, c) +
          ax * ay * at(x0 + 1, y0 + 1, c);
    }
  return out;
}

function recentred(images: Float32Array[], side: number, channels: number): Float32Array {
  return throughStep(images, side, channels, recentreImages);
}

describe('re-centring', () => {
  let dataset: Dataset;
  let temp: TempDir;
  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
    temp = await tempDir('aesearch-recentre-');
  });
  after(() => temp.cleanup());

  it('moves each image as the pixel-by-pixel rule does, grayscale and colour', () => {
    for (const channels of [1, 3]) {
      const cases = [
        rectangle(12, channels, [1, 4, 2, 5]), // clear of the borders: centred, by fractions of a pixel
        rectangle(12, channels, [0, 6, 3, 8]), // touching the left border only: pushed right
        rectangle(12, channels, [5, 11, 0, 11]), // right only across, both borders down
        rectangle(12, channels, [4, 7, 4, 7]), // already centred: stays
        new Float32Array(12 * 12 * channels), // nothing bright: stays
        rectangle(12, channels, [2, 9, 1, 4], 0.1), // too faint to count: stays
      ];
      const got = recentred(cases, 12, channels);
      const area = 12 * 12 * channels;
      cases.forEach((img, i) => {
        assertClose(
          got.subarray(i * area, (i + 1) * area),
          referenceRecentre(img, 12, channels),
          `case ${i}, ${channels} ch`,
        );
      });
      assertClose(got.subarray(3 * area, 4 * area), cases[3] ?? [], `centred case unchanged, ${channels} ch`);
    }
    const n = 40;
    const real = Array.from({ length: n }, (_, i) =>
      Float32Array.from(dataset.database.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255),
    );
    const got = recentred(real, 28, 1);
    real.forEach((img, i) => {
      assertClose(got.subarray(i * 784, (i + 1) * 784), referenceRecentre(img, 28, 1), `image ${i}`);
    });
  });

  it('brings a shifted copy back to where the image itself goes', () => {
    const img = rectangle(28, 1, [6, 19, 0, 27]); // long side spans the frame, as Fashion-MNIST frames
    const bytes = Uint8Array.from(img, (v) => Math.round(v * 255));
    for (const [dx, dy] of [
      [2, 2],
      [-2, 1],
      [0, -3],
    ] as const) {
      const shifted = Float32Array.from(shiftImages(bytes, 28, dx, dy), (v) => v / 255);
      const [home, back] = [recentred([img], 28, 1), recentred([shifted], 28, 1)];
      // the rows shifted out of the frame are lost; every other pixel is back in place
      let differ = 0;
      for (let i = 0; i < 784; i++) if (Math.abs((home[i] ?? 0) - (back[i] ?? 0)) > 1e-5) differ++;
      assert.ok(differ <= 28 * Math.abs(dy), `shift ${dx},${dy}: ${differ} pixels differ`);
    }
  });

  it('passes images through while training and re-centres them when embedding; the saved encoder keeps it', async () => {
    const config = defaultArchConfig('conv', { codeSize: 8, recentre: true });
    const model = buildAutoencoder(config);
    try {
      assert.equal(model.encoder.layers[1]?.getClassName(), 'AesearchRecentre');
      const img = rectangle(28, 1, [3, 12, 2, 20]);
      const centred = recentred([img], 28, 1);
      const code = (x: Float32Array, training: boolean) =>
        tf.tidy(() => (model.encoder.apply(tf.tensor2d(x, [1, 784]), { training }) as tf.Tensor).dataSync());
      assertClose(code(img, false), code(centred, false), 'embedding re-centres');
      assertClose(code(img, true), code(img, true), 'training is deterministic');
      const trainingDiff = Math.max(
        ...Array.from(code(img, true), (v, i) => Math.abs(v - (code(centred, true)[i] ?? 0))),
      );
      assert.ok(trainingDiff > 1e-4, 'training sees the image where it is');
      const frame = decoderFrameBytes(
        config,
        Uint8Array.from(img, (v) => Math.round(v * 255)),
      );
      assertClose(
        Array.from(frame, (v) => v / 255),
        Array.from(centred, (v) => Math.round(v * 255) / 255),
        'decoder frame',
      );
      assert.deepEqual(decoderFrameBytes({ ...config, recentre: false }, frame), frame);
    } finally {
      model.dispose();
    }
  });

  it('trains the same weights as without it, and embeds shifted copies like their images', async () => {
    const settings = { arch: 'conv' as const, codeSize: 8, steps: 3, seed: 5 };
    const plain = await trainBriefly(join(temp.dir, 'plain'), dataset, settings);
    const dir = join(temp.dir, 'recentred');
    const moved = await trainBriefly(dir, dataset, { ...settings, recentre: true });
    assert.equal(moved.manifest.weightsHash, plain.manifest.weightsHash);
    assert.equal(moved.manifest.arch.recentre, true);
    const model = await loadModel(dir);
    try {
      const pick = dataset.database.pixels.subarray(0, 784 * 8);
      const shifted = shiftImages(pick, 28, 2, 2);
      const [a, b] = await Promise.all(
        [pick, shifted].map((p) =>
          embedImages(
            model.encoder,
            Float32Array.from(p, (v) => v / 255),
            8,
          ),
        ),
      );
      const cos = (i: number) => {
        let dot = 0;
        let na = 0;
        let nb = 0;
        for (let j = 0; j < 8; j++) {
          const x = a?.[i * 8 + j] ?? 0;
          const y = b?.[i * 8 + j] ?? 0;
          dot += x * y;
          na += x * x;
          nb += y * y;
        }
        return dot / Math.sqrt(na * nb);
      };
      const sims = Array.from({ length: 8 }, (_, i) => cos(i));
      assert.ok(
        Math.min(...sims) > 0.98,
        `cosine of image and shifted copy: ${sims.map((s) => s.toFixed(3))}`,
      );
    } finally {
      model.encoder.dispose();
      model.decoder.dispose();
    }
  });
});
