import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { isAesearchError } from '../../src/errors.js';
import { encodePng } from '../../src/image/png.js';
import { centreOnDark, decodeImage, folderFormat, IDX_FORMAT } from '../../src/image/preprocess.js';

const side = 28;
const item = Uint8Array.from({ length: side * side }, (_, i) =>
  i % side > 8 && i % side < 20 && i > 200 && i < 600 ? 200 : 0,
);

describe('decodeImage, grayscale (IDX_FORMAT)', () => {
  it('gives back a 28x28 dataset image unchanged from its PNG', async () => {
    assert.deepEqual(await decodeImage(encodePng(item, side, side, 1), IDX_FORMAT), item);
  });

  it('inverts a dark object on a light background (a photo) to light on dark', async () => {
    const photo = Uint8Array.from(item, (v) => 255 - v);
    const got = await decodeImage(encodePng(photo, side, side, 1), IDX_FORMAT);
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
    const got = await decodeImage(jpeg, IDX_FORMAT);
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
    const got = await decodeImage(png, IDX_FORMAT);
    assert.equal(got[0], 0);
    assert.ok((got[14 * 28 + 14] ?? 0) > 200);
  });

  it('refuses bytes that are not an image, naming the input', async () => {
    await assert.rejects(
      decodeImage(Buffer.from('hello'), IDX_FORMAT, { what: 'field "image"' }),
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
    const out = centreOnDark(Uint8Array.from([0, 9, 0, 0]), 2, 2, { ...IDX_FORMAT, side: 4 });
    assert.deepEqual([...out], [0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('moves whole RGB pixels and never inverts a colour image, light border or not', () => {
    const white = Uint8Array.from([255, 255, 255, 250, 240, 230]);
    const out = centreOnDark(white, 2, 1, { side: 2, channels: 3, invertLightBorder: false });
    assert.deepEqual([...out], [255, 255, 255, 250, 240, 230, 0, 0, 0, 0, 0, 0]);
  });
});

describe('decodeImage, colour', () => {
  const format = folderFormat(16, false);

  it('keeps the colours of an RGB image at the asked side, RGB interleaved', async () => {
    const png = await sharp({
      create: { width: 40, height: 40, channels: 3, background: { r: 220, g: 30, b: 40 } },
    })
      .png()
      .toBuffer();
    const got = await decodeImage(png, format);
    assert.equal(got.length, 16 * 16 * 3);
    assert.deepEqual([...got.subarray(0, 3)], [220, 30, 40]);
    assert.deepEqual([...got.subarray(got.length - 3)], [220, 30, 40]);
  });

  it('flattens transparency onto white and centres a wide image on black, not inverted', async () => {
    const png = await sharp({
      create: { width: 40, height: 20, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0 } },
    })
      .png()
      .toBuffer();
    const got = await decodeImage(png, format);
    // 40x20 becomes 16x8, rows 4..11: black above, white (flattened transparency) inside
    assert.deepEqual([...got.subarray(0, 3)], [0, 0, 0]);
    const centre = (8 * 16 + 8) * 3;
    assert.deepEqual([...got.subarray(centre, centre + 3)], [255, 255, 255]);
  });

  it('gives grayscale images three equal channels', async () => {
    const gray = Uint8Array.from({ length: 16 * 16 }, (_, i) => i % 256);
    const got = await decodeImage(encodePng(gray, 16, 16, 1), format);
    for (let i = 0; i < 16 * 16; i++) {
      assert.equal(got[i * 3], gray[i]);
      assert.equal(got[i * 3 + 2], gray[i]);
    }
  });
});
