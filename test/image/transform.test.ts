/** Shift, zoom and erase of one image, on floats and on bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eraseSquare, shiftImage, zoomImage } from '../../src/image/transform.js';

const side = 4;
const img = Float32Array.from({ length: 16 }, (_, i) => (i + 1) / 16);

describe('image transforms', () => {
  it('shifts an image by whole pixels, filling with 0', () => {
    const out = new Float32Array(16);
    shiftImage(img, out, side, 1, 0);
    assert.deepEqual([...out.subarray(0, 4)], [0, img[0], img[1], img[2]]);
    shiftImage(img, out, side, 0, -1);
    assert.deepEqual([...out.subarray(12)], [0, 0, 0, 0]);
    assert.equal(out[0], img[4]);
  });

  it('shifts byte images the same way, and clears the image when the shift is a whole side or more', () => {
    const bytes = Uint8Array.from(img, (v) => v * 16);
    const out = new Uint8Array(16).fill(99);
    shiftImage(bytes, out, side, -1, 2);
    assert.deepEqual(Array.from(out), [0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 4, 0, 6, 7, 8, 0]);
    shiftImage(bytes, out, side, side, 0);
    assert.deepEqual(Array.from(out), new Array(16).fill(0));
    shiftImage(bytes, out, side, 0, -side - 1);
    assert.deepEqual(Array.from(out), new Array(16).fill(0));
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
});
