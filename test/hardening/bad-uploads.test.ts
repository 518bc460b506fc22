/**
 * Every kind of bad upload answers a 4xx JSON error with a specific code and a message a person can act
 * on, and every valid but odd image gives results: empty, random, text, truncated, a decompression bomb's
 * header, SVG; animated GIF, 16-bit PNG, CMYK JPEG, alpha, WebP, 1 x 1 and 10,000 x 20.
 * (Too large, two files, a wrong field and no file are in test/http/upload-errors.test.ts.)
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { declaredSizePng, extremeShapes, jpegOf, oddImages } from '../helpers/bad-images.js';
import { pngOf } from '../helpers/fixtures.js';
import { expectApiError } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

const NOT_AN_IMAGE = (reason: string) =>
  `Expected an image (PNG, JPEG, WebP or GIF) in field "image" but could not decode it: ${reason}`;

describe('bad uploads', () => {
  const fx = useTinyApp();
  let png42: Buffer;

  before(async () => {
    png42 = await pngOf(await fx.service.itemPixels(42));
  });

  const upload = (bytes: Buffer, name = 'q.png', query = '') =>
    request(fx.app).post(`/api/search${query}`).attach('image', bytes, name);

  it('refuses 0 bytes with NO_FILE, as a file and as a raw body', async () => {
    const expected = (got: string) =>
      `Expected an image in multipart field "image" or as the request body with an image/* content type, but received ${got}`;
    expectApiError(await upload(Buffer.alloc(0)), 400, 'NO_FILE', expected('an empty file in field "image"'));
    const raw = await request(fx.app)
      .post('/api/search')
      .set('Content-Type', 'image/png')
      .send(Buffer.alloc(0));
    expectApiError(raw, 400, 'NO_FILE', expected('an empty body'));
  });

  it('refuses random bytes and a text file named .png with NOT_AN_IMAGE, saying what they look like', async () => {
    const random = Buffer.from([0x8f, 0x3a, 0x00, 0x11, 0xfe, 0x42, 0x99, 0x07, ...Array(500).fill(0x5a)]);
    expectApiError(
      await upload(random),
      415,
      'NOT_AN_IMAGE',
      NOT_AN_IMAGE('it starts like bytes starting 8f 3a 00 11 fe 42 99 07, not like any of these formats'),
    );
    expectApiError(
      await upload(Buffer.from('name,price\nshirt,12\n'), 'prices.png'),
      415,
      'NOT_AN_IMAGE',
      NOT_AN_IMAGE('it starts like text ("name,price shirt,12"), not like any of these formats'),
    );
  });

  it('refuses truncated PNG and JPEG files with NOT_AN_IMAGE, saying they are truncated', async () => {
    const jpeg = await jpegOf(await fx.service.itemPixels(42));
    for (const [name, cut] of [
      ['q.png', png42.subarray(0, Math.floor(png42.length / 2))],
      ['q.jpg', jpeg.subarray(0, Math.floor(jpeg.length / 2))],
    ] as const) {
      const res = await upload(Buffer.from(cut), name);
      expectApiError(res, 415, 'NOT_AN_IMAGE', /but could not decode it: it is truncated or damaged \(.+\)$/);
    }
  });

  it('refuses a PNG declaring 50,000 x 50,000 pixels by its header, without decoding it', async () => {
    const bomb = await declaredSizePng(50_000, 50_000);
    assert.ok(bomb.length < 200, 'the bomb itself is tiny');
    const rssBefore = process.memoryUsage.rss();
    const res = await upload(bomb, 'bomb.png');
    expectApiError(
      res,
      413,
      'IMAGE_TOO_LARGE',
      'Expected an image of at most 100,000,000 pixels in field "image" but it declares 50,000 x 50,000 pixels; refused before decoding, send a downscaled image',
    );
    // Decoding would need 2.5 GB even as grayscale.
    assert.ok(process.memoryUsage.rss() - rssBefore < 200 * 1024 * 1024, 'nothing large was allocated');
  });

  it('refuses SVG (multipart or raw) with UNSUPPORTED_IMAGE_TYPE instead of rasterising it', async () => {
    const svg = Buffer.from(
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28"><image href="file:///etc/passwd"/></svg>',
    );
    const message = (what: string) =>
      `Expected a PNG, JPEG, GIF or WebP image in ${what} but received an SVG document; convert it to PNG or JPEG`;
    expectApiError(await upload(svg, 'q.svg'), 415, 'UNSUPPORTED_IMAGE_TYPE', message('field "image"'));
    const raw = await request(fx.app).post('/api/search').set('Content-Type', 'image/svg+xml').send(svg);
    expectApiError(raw, 415, 'UNSUPPORTED_IMAGE_TYPE', message('the request body'));
  });

  it('searches odd encodings of item 42: animated GIF (first frame), 16-bit PNG, CMYK JPEG, alpha, WebP', async () => {
    const lossless = new Set(['animated GIF (3 frames)', '16-bit PNG', 'WebP']);
    for (const [name, bytes] of Object.entries(await oddImages(await fx.service.itemPixels(42)))) {
      const res = await upload(bytes, 'q', '?k=3');
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
      for (const space of ['code', 'pixel']) assert.equal(res.body.spaces[space].results.length, 3, name);
      if (lossless.has(name)) assert.equal(res.body.spaces.pixel.results[0].id, 42, `${name} finds item 42`);
    }
  });

  it('searches images of extreme shapes: 1 x 1 and 10,000 x 20', async () => {
    for (const [name, bytes] of Object.entries(await extremeShapes())) {
      const res = await upload(bytes, 'q.png', '?k=2');
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.spaces.code.results.length, 2, name);
      assert.match(res.body.query.image, /^data:image\/png;base64,/);
    }
  });
});
