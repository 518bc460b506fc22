/** Shift, zoom, rotate, crop, erase and caption strips of one image, on floats and on bytes. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  borderColour,
  CAPTION_BAND,
  cropImage,
  drawCaption,
  eraseSquare,
  rotateImage,
  shiftImage,
  zoomImage,
} from '../../src/image/transform.js';

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

  it('rotates by 90 degrees clockwise exactly, and by 0 not at all', () => {
    const out = new Float32Array(16);
    rotateImage(img, out, side, 90, [0]);
    // clockwise: (x, y) reads the source at (y, side - 1 - x), so the top row becomes the right column
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++)
        assert.ok(Math.abs((out[y * side + x] ?? 0) - (img[(side - 1 - x) * side + y] ?? 0)) < 1e-6);
    assert.ok(Math.abs((out[side - 1] ?? 0) - (img[0] ?? 0)) < 1e-6, 'top-left went top-right');
    rotateImage(img, out, side, 0, [0]);
    assert.deepEqual(out, img);
  });

  it('fills the corners a turn uncovers with the given colour, per channel', () => {
    const rgb = new Float32Array(8 * 8 * 3).fill(0.5);
    const out = new Float32Array(rgb.length);
    rotateImage(rgb, out, 8, 30, [1, 0, 0.25], 3);
    assert.deepEqual(Array.from(out.subarray(0, 3)), [1, 0, 0.25]);
    const centre = (4 * 8 + 4) * 3;
    assert.deepEqual(Array.from(out.subarray(centre, centre + 3)), [0.5, 0.5, 0.5]);
  });

  it('takes the mean border colour of each channel', () => {
    const rgb = new Float32Array(3 * 3 * 3);
    for (let p = 0; p < 9; p++) rgb.set(p === 4 ? [1, 1, 1] : [0.2, 0.4, (p % 2) * 0.8], p * 3);
    const [r, g, b] = borderColour(rgb, 3, 3);
    assert.ok(Math.abs((r ?? 0) - 0.2) < 1e-6 && Math.abs((g ?? 0) - 0.4) < 1e-6);
    assert.ok(Math.abs((b ?? 0) - 0.4) < 1e-6, `blue ${b}: half the border at 0.8`);
  });

  it('crops a window and resizes it back as an upload: the whole image is kept, a narrow one gets black bars', () => {
    const same = new Float32Array(16);
    cropImage(img, same, side, { left: 0, top: 0, width: side, height: side });
    for (let i = 0; i < 16; i++) assert.ok(Math.abs((same[i] ?? 0) - (img[i] ?? 0)) < 1e-6);
    // the left half, 2 x 4, fits inside 4 x 4 as 2 x 4 centred: columns 1 and 2 hold it, 0 and 3 are black
    const half = new Float32Array(16);
    cropImage(img, half, side, { left: 0, top: 0, width: 2, height: 4 });
    for (let y = 0; y < side; y++) {
      assert.deepEqual(Array.from(half.subarray(y * side, (y + 1) * side)), [
        0,
        img[y * side],
        img[y * side + 1],
        0,
      ]);
    }
    // a centred window of 2 x 2 is a zoom by 2
    const zoomed = new Float32Array(16);
    cropImage(img, zoomed, side, { left: 1, top: 1, width: 2, height: 2 });
    assert.ok(
      Math.abs(
        (zoomed[5] ?? 0) -
          ((img[5] ?? 0) * 0.75 + (img[6] ?? 0) * 0.25) * 0.75 -
          ((img[9] ?? 0) * 0.75 + (img[10] ?? 0) * 0.25) * 0.25,
      ) < 1e-6,
    );
  });

  it('draws a caption strip over the given rows only, words light, the band dark', () => {
    const grey = new Float32Array(10 * 10 * 3).fill(0.5);
    drawCaption(grey, 10, 6, 4, [[2, 5]], 3);
    const at = (x: number, y: number) => grey[(y * 10 + x) * 3] ?? Number.NaN;
    for (let y = 0; y < 6; y++) for (let x = 0; x < 10; x++) assert.equal(at(x, y), 0.5);
    const band = 0.5 * (1 - CAPTION_BAND.opacity) + CAPTION_BAND.value * CAPTION_BAND.opacity;
    // 4 rows: a margin of 1 above and below, words on rows 7 and 8, columns 2-4
    for (const y of [6, 9]) for (let x = 0; x < 10; x++) assert.ok(Math.abs(at(x, y) - band) < 1e-6);
    for (const y of [7, 8])
      for (let x = 0; x < 10; x++)
        assert.ok(Math.abs(at(x, y) - (x >= 2 && x < 5 ? CAPTION_BAND.word : band)) < 1e-6, `(${x}, ${y})`);
  });
});
