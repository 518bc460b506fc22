import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { isAesearchError } from '../../src/errors.js';
import { encodeGrayPng } from '../../src/image/png.js';
import { centreOnDark, decodeToGray } from '../../src/image/preprocess.js';

const side = 28;
const item = Uint8Array.from({ length: side * side }, (_, i) =>
  i % side > 8 && i % side < 20 && i > 200 && i < 600 ? 200 : 0,
);

describe('decodeToGray', () => {
  it('gives back a 28x28 dataset image unchanged from its PNG', async () => {
    assert.deepEqual(await decodeToGray(encodeGrayPng(item, side, side)), item);
  });

  it('inverts a dark object on a light background (a photo) to light on dark', async () => {
    const photo = Uint8Array.from(item, (v) => 255 - v);
    const got = await decodeToGray(encodeGrayPng(photo, side, side));
    assert.deepEqual(got, item);
  });

  it('reads colour JPEGs of any size and scales them to 28x28, keeping aspect ratio', async () => {
    const jpeg = await sharp({
      create: { width: 300, height: 100, channels: 3, background: { r: 0, g: 0, b: 0 } },
    })
      .composite([
        {
          input: { create: { width: 100, height: 100, channels: 3, background: { r: 255, g: 255, b: 255 } } },
          left: 100,
          top: 0,
        },
      ])
      .jpeg()
      .toBuffer();
    const got = await decodeToGray(jpeg);
    assert.equal(got.length, 784);
    // 300x100 becomes 28x9 (rounded), centred vertically: top rows stay background
    assert.equal(got[0], 0);
    assert.ok((got[14 * 28 + 14] ?? 0) > 200, 'centre of the white square is bright');
    assert.ok((got[14 * 28 + 2] ?? 255) < 30, 'left third is dark');
  });

  it('flattens transparency onto white, so a dark shape on a transparent background reads as light on dark', async () => {
    const png = await sharp({
      create: { width: 20, height: 20, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
    })
      .composite([
        {
          input: {
            create: { width: 10, height: 10, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } },
          },
          left: 5,
          top: 5,
        },
      ])
      .png()
      .toBuffer();
    const got = await decodeToGray(png);
    assert.equal(got[0], 0);
    assert.ok((got[14 * 28 + 14] ?? 0) > 200);
  });

  it('refuses bytes that are not an image, naming the input', async () => {
    await assert.rejects(
      decodeToGray(Buffer.from('hello'), { what: 'field "image"' }),
      (err) =>
        isAesearchError(err, 'NOT_AN_IMAGE') &&
        err.message.startsWith(
          'Expected an image (PNG, JPEG, WebP or GIF) in field "image" but could not decode it:',
        ),
    );
  });
});

describe('centreOnDark', () => {
  it('centres a smaller image on a dark canvas', () => {
    const out = centreOnDark(Uint8Array.from([0, 9, 0, 0]), 2, 2, 4);
    assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });
});
