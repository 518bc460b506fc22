import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { loadDataset } from '../../src/dataset/load.js';
import {
  addGaussianNoise,
  NOISE_SIGMA,
  PERTURBATIONS,
  perturbQueries,
  SHIFT_PX,
  shiftImages,
} from '../../src/eval/perturb.js';
import { encodeJpeg224, JPEG_SIDE_PX, reupload } from '../../src/image/perturb.js';
import { IDX_FORMAT } from '../../src/image/preprocess.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';

const side = 28;
const area = side * side;

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

describe('shiftImages', () => {
  it('moves every pixel right and down, filling the uncovered edge with 0', () => {
    const img = Uint8Array.from({ length: area }, (_, i) => 1 + (i % 250));
    const out = shiftImages(img, side, 2, 2);
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) {
        const want = x < 2 || y < 2 ? 0 : img[(y - 2) * side + x - 2];
        assert.equal(out[y * side + x], want, `(${x}, ${y})`);
      }
  });

  it('shifts each image of a batch on its own, in both directions', () => {
    const two = new Uint8Array(2 * area);
    two[5 * side + 5] = 200; // image 0: one dot at (5, 5)
    two[area + 20 * side + 10] = 100; // image 1: one dot at (10, 20)
    const out = shiftImages(two, side, -3, 1);
    assert.equal(out[6 * side + 2], 200);
    assert.equal(out[area + 21 * side + 7], 100);
    assert.equal(
      out.reduce((a, v) => a + v, 0),
      300,
    );
  });
});

describe('addGaussianNoise', () => {
  it('adds noise of about sigma 0.1, clipped to [0, 255], the same for the same seed', () => {
    const img = new Uint8Array(20_000).fill(128);
    const a = addGaussianNoise(img, NOISE_SIGMA, 1);
    assert.deepEqual(a, addGaussianNoise(img, NOISE_SIGMA, 1));
    assert.notDeepEqual(a, addGaussianNoise(img, NOISE_SIGMA, 2));
    const sd = Math.sqrt(a.reduce((s, v) => s + ((v - 128) / 255) ** 2, 0) / a.length);
    assert.ok(Math.abs(sd - 0.1) < 0.005, `sd ${sd}`);
    const black = addGaussianNoise(new Uint8Array(1000), NOISE_SIGMA, 1);
    assert.ok(black.every((v) => v >= 0 && v <= 255));
    assert.ok(black.some((v) => v === 0) && black.some((v) => v > 0), 'clipped below, raised above');
  });
});

describe('upload round trips', () => {
  it('encodes a 224x224 JPEG', async () => {
    const meta = await sharp(await encodeJpeg224(new Uint8Array(area).fill(90), IDX_FORMAT)).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, JPEG_SIDE_PX);
    assert.equal(meta.height, JPEG_SIDE_PX);
  });

  it('gives dataset images back unchanged through PNG, and close to them through jpeg224', async () => {
    const dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 20 });
    const images = dataset.queries.pixels.subarray(0, 8 * area);
    assert.deepEqual(await reupload(images, 8, IDX_FORMAT, 'png'), images);
    const jpeg = await reupload(images, 8, IDX_FORMAT, 'jpeg224');
    const diff = meanAbsDiff(jpeg, images);
    assert.ok(diff > 0 && diff < 6, `mean |difference| ${diff} of 255`);
  });

  it('perturbs queries: shift2 moves them, each perturbation changes them and keeps labels', async () => {
    const dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 20 });
    const queries = { ...dataset.queries, count: 4, pixels: dataset.queries.pixels.subarray(0, 4 * area) };
    const shifted = await perturbQueries('shift2', queries, IDX_FORMAT);
    assert.deepEqual(shifted.pixels, shiftImages(queries.pixels, side, SHIFT_PX, SHIFT_PX));
    for (const name of PERTURBATIONS) {
      const out = await perturbQueries(name, queries, IDX_FORMAT);
      assert.equal(out.pixels.length, queries.pixels.length);
      assert.equal(out.labels, queries.labels);
      assert.ok(meanAbsDiff(out.pixels, queries.pixels) > 0.5, name);
    }
  });
});
