/**
 * POST /api/search's refusals against createApp on a tiny trained index: each upload and parameter
 * error, with its status, code and message. A small upload limit keeps "too large" to a few KB.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { pngOf } from '../helpers/fixtures.js';
import { expectApiError } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

/** A small upload limit, so "too large" needs only a few KB. */
const LIMIT_BYTES = 4096;

describe('POST /api/search refusals', () => {
  const fx = useTinyApp(LIMIT_BYTES);
  let png42: Buffer;

  before(async () => {
    png42 = await pngOf(await fx.service.itemPixels(42));
  });

  it('rejects a file over the limit with FILE_TOO_LARGE (413), multipart and raw', async () => {
    const big = Buffer.alloc(LIMIT_BYTES + 2000, 7);
    const form = await request(fx.app).post('/api/search').attach('image', big, 'big.png');
    expectApiError(
      form,
      413,
      'FILE_TOO_LARGE',
      /^Expected an image of at most 4 KB in field "image" but received a request of 6\.\d KB; send a smaller or downscaled image$/,
    );
    const raw = await request(fx.app).post('/api/search').set('Content-Type', 'image/png').send(big);
    expectApiError(
      raw,
      413,
      'FILE_TOO_LARGE',
      'Expected an image of at most 4 KB in the request body but received 6 KB; send a smaller or downscaled image',
    );
  });

  it('rejects bytes that are not an image with NOT_AN_IMAGE (415)', async () => {
    const res = await request(fx.app)
      .post('/api/search')
      .attach('image', Buffer.from('hello, world'), 'q.png');
    expectApiError(
      res,
      415,
      'NOT_AN_IMAGE',
      'Expected an image (PNG, JPEG, WebP or GIF) in field "image" but could not decode it: it starts like text ("hello, world"), not like any of these formats',
    );
    const raw = await request(fx.app)
      .post('/api/search')
      .set('Content-Type', 'image/jpeg')
      .send(Buffer.from('nope'));
    expectApiError(
      raw,
      415,
      'NOT_AN_IMAGE',
      'Expected an image (PNG, JPEG, WebP or GIF) in the request body but could not decode it: it starts like text ("nope"), not like any of these formats',
    );
  });

  it('rejects a file in another field with WRONG_FIELD, and 33 files with TOO_MANY_FILES', async () => {
    const wrong = await request(fx.app).post('/api/search').attach('file', png42, 'q.png');
    expectApiError(
      wrong,
      400,
      'WRONG_FIELD',
      'Expected the image in multipart field "image" but received a file in field "file"; rename the field to "image"',
    );
    let many = request(fx.app).post('/api/search');
    for (let i = 0; i < 33; i++) many = many.attach('image', png42, `${i}.png`);
    expectApiError(
      await many,
      400,
      'TOO_MANY_FILES',
      'Expected at most 32 files in multipart field "image" but received more; send at most 32 images per search',
    );
  });

  it('rejects a request without an image with NO_FILE, naming what arrived', async () => {
    const expected = (got: string) =>
      `Expected an image in multipart field "image" or as the request body with an image/* content type, but received ${got}`;
    expectApiError(await request(fx.app).post('/api/search'), 400, 'NO_FILE', expected('no body'));
    expectApiError(
      await request(fx.app).post('/api/search').field('note', 'x'),
      400,
      'NO_FILE',
      expected('a multipart form without a file'),
    );
    expectApiError(
      await request(fx.app).post('/api/search').field('image', 'cat.png'),
      400,
      'NO_FILE',
      expected('a text field "image" instead of a file (with curl: -F image=@photo.png)'),
    );
    expectApiError(
      await request(fx.app).post('/api/search').attach('image', Buffer.alloc(0), 'empty.png'),
      400,
      'NO_FILE',
      expected('an empty file in field "image"'),
    );
  });

  it('rejects other content types with UNSUPPORTED_MEDIA_TYPE and broken forms with BAD_MULTIPART', async () => {
    const text = await request(fx.app).post('/api/search').set('Content-Type', 'text/plain').send('a cat');
    expectApiError(
      text,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Expected a multipart/form-data body or an image/* body but received content type text/plain; send the image with curl -F image=@file.png or as image/png',
    );
    const broken = await request(fx.app)
      .post('/api/search')
      .set('Content-Type', 'multipart/form-data; boundary=xyz')
      .send('--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.png"\r\n\r\nabc');
    expectApiError(
      broken,
      400,
      'BAD_MULTIPART',
      'The multipart form could not be read (Unexpected end of form); send well-formed multipart/form-data with the image in field "image"',
    );
  });

  it('rejects bad k, space and maxDistance with BAD_PARAMETER naming the parameter and the value', async () => {
    const cases: [string, string][] = [
      ['k=0', 'Expected query parameter "k" to be a whole number from 1 to 100 but received "0"'],
      ['k=101', 'Expected query parameter "k" to be a whole number from 1 to 100 but received "101"'],
      ['k=2.5', 'Expected query parameter "k" to be a whole number from 1 to 100 but received "2.5"'],
      ['k=ten', 'Expected query parameter "k" to be a whole number from 1 to 100 but received "ten"'],
      [
        'k=1&k=2',
        'Expected query parameter "k" to be a whole number from 1 to 100 but received 2 values ("1", "2")',
      ],
      [
        'space=colour',
        'Expected query parameter "space" to be one of code, pixel, both but received "colour"',
      ],
      [
        'maxDistance=-1',
        'Expected query parameter "maxDistance" to be a finite number of at least 0 but received "-1"',
      ],
      [
        'maxDistance=1e999',
        'Expected query parameter "maxDistance" to be a finite number of at least 0 but received "1e999"',
      ],
    ];
    for (const [query, message] of cases) {
      const res = await request(fx.app).post(`/api/search?${query}`).attach('image', png42, 'q.png');
      expectApiError(res, 400, 'BAD_PARAMETER', message);
    }
  });

  it('answers other methods with METHOD_NOT_ALLOWED and an Allow header', async () => {
    const res = await request(fx.app).get('/api/search');
    expectApiError(res, 405, 'METHOD_NOT_ALLOWED', '/api/search does not take GET; use POST');
    assert.equal(res.headers.allow, 'POST');
  });
});
