import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corruptBatch, eraseSquare, shiftImage, zoomImage } from '../../src/train/noise.js';
import { createRng } from '../../src/util/rng.js';

const side = 4;
const img = Float32Array.from({ length: 16 }, (_, i) => (i + 1) / 16);

describe('input corruption', () => {
  it('shifts an image by whole pixels, filling with 0', () => {
    const out = new Float32Array(16);
    shiftImage(img, out, side, 1, 0);
    assert.deepEqual([...out.subarray(0, 4)], [0, img[0], img[1], img[2]]);
    shiftImage(img, out, side, 0, -1);
    assert.deepEqual([...out.subarray(12)], [0, 0, 0, 0]);
    assert.equal(out[0], img[4]);
  });

  it('masks about the given fraction of pixels and leaves the rest untouched', () => {
    const big = new Float32Array(10_000).fill(0.5);
    const out = corruptBatch(big, 100, { type: 'masking', level: 0.3 }, createRng(1));
    const zeros = out.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / 10_000 - 0.3) < 0.02, `masked share ${zeros / 10_000}`);
    assert.ok(out.every((v) => v === 0 || v === 0.5));
  });

  it('adds gaussian noise of about the given sigma, clipped to [0, 1]', () => {
    const big = new Float32Array(20_000).fill(0.5);
    const out = corruptBatch(big, 100, { type: 'gaussian', level: 0.1 }, createRng(2));
    const sd = Math.sqrt(out.reduce((s, v) => s + (v - 0.5) ** 2, 0) / out.length);
    assert.ok(Math.abs(sd - 0.1) < 0.005, `sigma ${sd}`);
    assert.ok(out.every((v) => v >= 0 && v <= 1));
  });

  it('sets salt-and-pepper pixels to 0 or 1', () => {
    const big = new Float32Array(10_000).fill(0.5);
    const out = corruptBatch(big, 100, { type: 'salt-pepper', level: 0.2 }, createRng(3));
    const changed = out.filter((v) => v !== 0.5);
    assert.ok(changed.every((v) => v === 0 || v === 1));
    assert.ok(Math.abs(changed.length / 10_000 - 0.2) < 0.02);
  });

  it('repeats exactly for the same seed', () => {
    const a = corruptBatch(img, side, { type: 'shift', level: 2 }, createRng(9));
    const b = corruptBatch(img, side, { type: 'shift', level: 2 }, createRng(9));
    assert.deepEqual(a, b);
  });

  it('zooms about the centre: scale 1 keeps the image, scale 2 spreads the centre pixel', () => {
    const same = new Float32Array(16);
    zoomImage(img, same, side, 1);
    assert.deepEqual(same, img);
    const dot = new Float32Array(9);
    dot[4] = 1;
    const out = new Float32Array(9);
    zoomImage(dot, out, 3, 2);
    // (x - 1) / 2 + 1 samples half-way to the neighbours: 0.5 at the edges' middles, 0.25 at the corners
    assert.deepEqual(Array.from(out), [0.25, 0.5, 0.25, 0.5, 1, 0.5, 0.25, 0.5, 0.25]);
  });

  it('erases a square and clips it at the border', () => {
    const out = img.slice();
    eraseSquare(out, side, 2, 3, 3);
    assert.deepEqual(Array.from(out.subarray(12)), [img[12], img[13], 0, 0]);
    assert.deepEqual(Array.from(out.subarray(0, 12)), Array.from(img.subarray(0, 12)));
  });

  it('erases at most a level x side square per image', () => {
    const ones = new Float32Array(100 * 64).fill(1);
    const out = corruptBatch(ones, 8, { type: 'erase', level: 0.5 }, createRng(4));
    for (let i = 0; i < 100; i++) {
      const zeros = out.subarray(i * 64, (i + 1) * 64).filter((v) => v === 0).length;
      assert.ok(zeros <= 16, `image ${i} lost ${zeros} pixels`);
    }
  });
});
