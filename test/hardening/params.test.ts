/**
 * Bad parameters and path tricks: k of 0, -1, 1e9, abc or an array, an unknown space, maxDistance NaN,
 * ids out of range or not integers on every route that takes one, and `..`, `%2e%2e`, encoded slashes,
 * backslashes and NUL on the routes that touch files. Each is a 4xx JSON error; no file outside public/
 * is ever sent.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { pngOf } from '../helpers/fixtures.js';
import { badIdMessage, expectApiError, noItemMessage } from '../helpers/http.js';
import { type Listening, listenApp, rawRequest } from '../helpers/listen.js';
import { useTinyApp } from '../helpers/suite.js';

const K = (got: string) =>
  `Expected query parameter "k" to be a whole number from 1 to 100 but received ${got}`;

describe('bad parameters and path tricks', () => {
  const fx = useTinyApp();
  let listening: Listening;
  let png: Buffer;

  before(async () => {
    listening = await listenApp(fx.app);
    png = await pngOf(await fx.service.itemPixels(7));
  });
  after(async () => {
    await listening.close();
  });

  it('refuses k of 0, -1, 1e9, abc and an array, on uploads and on similar items', async () => {
    const cases: [string, string][] = [
      ['k=0', K('"0"')],
      ['k=-1', K('"-1"')],
      ['k=1e9', K('"1e9"')],
      ['k=1000000000', K('"1000000000"')],
      ['k=abc', K('"abc"')],
      ['k=1&k=2', K('2 values ("1", "2")')],
      ['k=', K('""')],
    ];
    for (const [query, message] of cases) {
      expectApiError(
        await request(fx.app).get(`/api/items/3/similar?${query}`),
        400,
        'BAD_PARAMETER',
        message,
      );
      const upload = await request(fx.app).post(`/api/search?${query}`).attach('image', png, 'q.png');
      expectApiError(upload, 400, 'BAD_PARAMETER', message);
    }
  });

  it('refuses an unknown space and a maxDistance of NaN, Infinity or -0.5', async () => {
    expectApiError(
      await request(fx.app).get('/api/items/3/similar?space=colour'),
      400,
      'BAD_PARAMETER',
      'Expected query parameter "space" to be one of code, pixel, both but received "colour"',
    );
    for (const value of ['NaN', 'Infinity', '-0.5', '1,5']) {
      expectApiError(
        await request(fx.app).get(`/api/items/3/similar?maxDistance=${value}`),
        400,
        'BAD_PARAMETER',
        `Expected query parameter "maxDistance" to be a finite number of at least 0 but received "${value}"`,
      );
    }
  });

  it('refuses ids out of range with ITEM_NOT_FOUND and non-integers with BAD_PARAMETER, on every item route', async () => {
    for (const suffix of ['', '/image', '/similar']) {
      expectApiError(
        await request(fx.app).get(`/api/items/300${suffix}`),
        404,
        'ITEM_NOT_FOUND',
        noItemMessage(300),
      );
      for (const [raw, shown] of [
        ['1.5', '"1.5"'],
        ['-1', '"-1"'],
        ['0x10', '"0x10"'],
        ['1e3', '"1e3"'],
        ['99999999999999999999', '"99999999999999999999"'],
        ['%20', '" "'],
      ] as const) {
        expectApiError(
          await request(fx.app).get(`/api/items/${raw}${suffix}`),
          400,
          'BAD_PARAMETER',
          badIdMessage(shown),
        );
      }
    }
  });

  it('never sends a file from outside public/, whatever the spelling of the path', async () => {
    const tricks = [
      '/../package.json',
      '/..%2fpackage.json',
      '/..%2Fpackage.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd',
      '/..\\package.json',
      '/..%5cpackage.json',
      '/./index.html/../../package.json',
      '/style.css%00.json',
      '//etc/passwd',
      '/api/items/..%2F..%2Fpackage.json/image',
      '/api/items/%2e%2e/image',
      '/api/items/..%2f1/similar',
      '/api/items/1%2f..%2f..%2fpackage.json',
    ];
    for (const path of tricks) {
      const res = await rawRequest(listening.url, path);
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status} ${res.body}`);
      assert.match(String(res.headers['content-type']), /^application\/json/, path);
      assert.doesNotMatch(res.body, /"name": "aesearch"|root:x:0/, `${path} leaked a file`);
    }
    const dotted = await rawRequest(listening.url, '/%2e%2e/package.json');
    assert.equal(dotted.status, 400);
    assert.equal(
      JSON.parse(dotted.body).error.message,
      'The request could not be read: the path "/%2e%2e/package.json" holds a "." or ".." segment, an encoded slash, a backslash or NUL; ask for the page\'s files by their plain names',
    );
    const page = await rawRequest(listening.url, '/style.css');
    assert.equal(page.status, 200, 'plain names still work');
  });
});
