/** The zlib PNG writer: what sharp reads back from it, scaled and in a grid, and its chunk CRCs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { crc32, encodeGridPng, encodePng } from '../../src/image/png.js';

/** The gray pixels, size and stored channel count that sharp reads from `png`. */
async function decode(
  png: Buffer,
): Promise<{ pixels: number[]; width: number; height: number; channels: number }> {
  const { channels } = await sharp(png).metadata();
  const { data, info } = await sharp(png).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  return { pixels: Array.from(data), width: info.width, height: info.height, channels: channels ?? 0 };
}

describe('encodePng', () => {
  it('writes a grayscale PNG that decodes to the same pixels', async () => {
    const px = Uint8Array.from({ length: 5 * 3 }, (_, i) => (i * 37) % 256);
    const got = await decode(encodePng(px, 5, 3, 1));
    assert.deepEqual(got, { pixels: Array.from(px), width: 5, height: 3, channels: 1 });
  });

  it('writes an RGB PNG that sharp decodes to the same interleaved pixels, scaled too', async () => {
    const px = Uint8Array.from({ length: 4 * 3 * 3 }, (_, i) => (i * 53 + 7) % 256);
    const { data, info } = await sharp(encodePng(px, 4, 3, 3))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.deepEqual({ w: info.width, h: info.height, c: info.channels }, { w: 4, h: 3, c: 3 });
    assert.deepEqual(Array.from(data), Array.from(px));
    const scaled = await sharp(encodePng(px, 4, 3, 3, 3))
      .raw()
      .toBuffer({ resolveWithObject: true });
    assert.equal(scaled.info.width, 12);
    const at = (x: number, y: number) =>
      Array.from(scaled.data.subarray((y * 12 + x) * 3, (y * 12 + x) * 3 + 3));
    assert.deepEqual(at(11, 8), Array.from(px.subarray((2 * 4 + 3) * 3, (2 * 4 + 3) * 3 + 3)));
    assert.deepEqual(at(4, 1), Array.from(px.subarray(3, 6)));
  });

  it('scales up by whole numbers with nearest-neighbour sampling', async () => {
    // falling and rising values: the filtered rows wrap differences mod 256
    const got = await decode(encodePng(Uint8Array.from([200, 10, 30, 40]), 2, 2, 1, 2));
    assert.equal(got.width, 4);
    assert.equal(got.height, 4);
    assert.deepEqual(got.pixels, [200, 200, 10, 10, 200, 200, 10, 10, 30, 30, 40, 40, 30, 30, 40, 40]);
    const px = Uint8Array.from({ length: 28 * 28 }, (_, i) => (i * 7919) % 256);
    const big = await decode(encodePng(px, 28, 28, 1, 5));
    const expected = Array.from(
      { length: 140 * 140 },
      (_, i) => px[Math.floor(i / 700) * 28 + Math.floor((i % 140) / 5)],
    );
    assert.deepEqual(big.pixels, expected);
  });

  it('refuses a scale that is not a positive whole number', () => {
    for (const scale of [0, 1.5])
      assert.throws(() => encodePng(new Uint8Array(4), 2, 2, 1, scale), {
        name: 'RangeError',
        message: `Expected a whole PNG scale of at least 1 but got ${scale}`,
      });
  });

  it('carries the standard CRC-32 in every chunk', () => {
    // the IEND chunk of every PNG: its CRC is the well-known AE 42 60 82
    assert.equal(crc32(Buffer.from('IEND', 'latin1')), 0xae426082);
    const png = encodePng(new Uint8Array(4), 2, 2, 1);
    assert.equal(png.readUInt32BE(png.length - 4), 0xae426082);
    assert.equal(png.readUInt32BE(8 + 4 + 4 + 13), crc32(png.subarray(12, 12 + 4 + 13)));
  });
});

describe('encodeGridPng', () => {
  it('lays tiles out in rows with 1 px gaps, scaled', async () => {
    const tile = Uint8Array.from([255, 255, 255, 255]);
    const got = await decode(encodeGridPng([[tile, tile], [tile]], 2, 1, 1));
    assert.equal(got.width, 2 * 3 + 1);
    assert.equal(got.height, 2 * 3 + 1);
    // row 1 crosses the first row of tiles: gap, tile, tile, gap, tile, tile, gap
    assert.deepEqual(got.pixels.slice(7, 14), [40, 255, 255, 40, 255, 255, 40]);
    // row 4 crosses the second row: one tile, then the background where a second tile would be
    assert.deepEqual(got.pixels.slice(28, 35), [40, 255, 255, 40, 40, 40, 40]);
    const scaled = await decode(encodeGridPng([[tile, tile], [tile]], 2, 1, 2));
    assert.equal(scaled.width, (2 * 3 + 1) * 2);
  });
});
