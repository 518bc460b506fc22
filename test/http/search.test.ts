/**
 * POST /api/search and GET /api/items/:id/similar against createApp on a tiny trained index: the
 * response shape, real neighbours, agreement and precision. Refusals are in upload-errors.test.ts.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { encodePng } from '../../src/image/png.js';
import { SearchService } from '../../src/search/search-service.js';
import { EmbeddedSource } from '../../src/store/embedded-source.js';
import { pngOf } from '../helpers/fixtures.js';
import { appFor, badIdMessage, expectApiError, expectGetErrors, noItemMessage } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

describe('search routes', () => {
  const fx = useTinyApp();
  let png42: Buffer;

  before(async () => {
    png42 = await pngOf(await fx.service.itemPixels(42));
  });

  describe('POST /api/search', () => {
    it('finds an uploaded stored image as its own top hit in both spaces, with URLs and timings', async () => {
      const res = await request(fx.app).post('/api/search?k=5').attach('image', png42, 'q.png');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.k, 5);
      assert.deepEqual(Object.keys(res.body.spaces), ['code', 'pixel']);
      for (const space of ['code', 'pixel']) {
        const result = res.body.spaces[space];
        assert.equal(result.results.length, 5);
        assert.deepEqual(Object.keys(result.results[0]).sort(), [
          'addedAt',
          'distance',
          'id',
          'imageUrl',
          'label',
          'labelName',
          'source',
        ]);
        assert.equal(result.results[0].id, 42);
        assert.ok(result.results[0].distance < 1e-3);
        assert.equal(result.results[0].imageUrl, '/api/items/42/image');
        assert.equal(result.results[0].labelName, (await fx.service.item(42)).labelName);
        assert.equal(typeof result.ms, 'number');
        assert.ok(result.agreement >= 0 && result.agreement <= 1);
        assert.equal(result.precision, null, 'an upload has no label of its own');
      }
      const { query } = res.body;
      assert.deepEqual([query.id, query.label, query.labelName, query.imageUrl], [null, null, null, null]);
      assert.equal(query.code.length, 8);
      assert.match(query.reconstruction, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      assert.match(query.image, /^data:image\/png;base64,/);
    });

    it('computes agreement as the share of hits carrying the other space top-1 label', async () => {
      const res = await request(fx.app).post('/api/search?k=10').attach('image', png42, 'q.png');
      const { code, pixel } = res.body.spaces;
      const share = (hits: { label: number }[], label: number) =>
        hits.filter((h) => h.label === label).length / hits.length;
      assert.equal(code.agreement, share(code.results, pixel.results[0].label));
      assert.equal(pixel.agreement, share(pixel.results, code.results[0].label));
    });

    it('takes a raw image/* body, and large images of any size, with the same answer as multipart', async () => {
      const multipart = await request(fx.app).post('/api/search?k=4').attach('image', png42, 'q.png');
      const raw = await request(fx.app).post('/api/search?k=4').set('Content-Type', 'image/png').send(png42);
      assert.equal(raw.status, 200, JSON.stringify(raw.body));
      const ids = (r: request.Response, space: string) =>
        r.body.spaces[space].results.map((h: { id: number }) => h.id);
      for (const space of ['code', 'pixel']) assert.deepEqual(ids(raw, space), ids(multipart, space));
      assert.deepEqual(raw.body.query.code, multipart.body.query.code);
      const big = encodePng(await fx.service.itemPixels(42), 28, 28, 1, 2);
      const scaled = await request(fx.app)
        .post('/api/search?k=1&space=pixel')
        .set('Content-Type', 'image/png')
        .send(big);
      assert.equal(scaled.status, 200, JSON.stringify(scaled.body));
      assert.equal(scaled.body.spaces.pixel.results[0].id, 42);
    });

    it('honours space and maxDistance', async () => {
      const code = await request(fx.app).post('/api/search?space=code&k=3').attach('image', png42, 'q.png');
      assert.deepEqual(Object.keys(code.body.spaces), ['code']);
      assert.equal(code.body.spaces.code.agreement, null, 'no other space to agree with');
      const near = await request(fx.app)
        .post('/api/search?maxDistance=0.001&k=10')
        .attach('image', png42, 'q.png');
      assert.equal(near.status, 200);
      for (const space of ['code', 'pixel']) {
        assert.deepEqual(
          near.body.spaces[space].results.map((h: { id: number }) => h.id),
          [42],
          `only the image itself lies within 0.001 in ${space} space`,
        );
      }
    });
  });

  describe('GET /api/items/:id/similar', () => {
    it('returns neighbours without the item itself, with its label and precision per space', async () => {
      const res = await request(fx.app).get('/api/items/42/similar?k=6');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { query } = res.body;
      const own = await fx.service.item(42);
      assert.deepEqual(
        [query.id, query.label, query.labelName, query.imageUrl],
        [42, own.label, own.labelName, '/api/items/42/image'],
      );
      for (const space of ['code', 'pixel']) {
        const result = res.body.spaces[space];
        const ids = result.results.map((h: { id: number }) => h.id);
        assert.equal(ids.length, 6);
        assert.ok(!ids.includes(42), `${space} results exclude the item itself`);
        const same = result.results.filter((h: { label: number }) => h.label === own.label).length;
        assert.equal(result.precision, same / 6);
      }
      const direct = await fx.service.searchById(42, { k: 6, spaces: ['code'] });
      assert.deepEqual(
        res.body.spaces.code.results.map((h: { id: number }) => h.id),
        direct.spaces.code?.results.map((h) => h.id),
      );
    });

    it('answers an unknown id with ITEM_NOT_FOUND (404) and a non-integer id with BAD_PARAMETER', async () => {
      await expectGetErrors(fx.app, [
        ['/api/items/300/similar', 404, 'ITEM_NOT_FOUND', noItemMessage(300)],
        ['/api/items/4.5/similar', 400, 'BAD_PARAMETER', badIdMessage('"4.5"')],
        ['/api/items/-1/similar', 400, 'BAD_PARAMETER', badIdMessage('"-1"')],
        [
          '/api/items/1/similar?space=all',
          400,
          'BAD_PARAMETER',
          'Expected query parameter "space" to be one of code, pixel, both but received "all"',
        ],
      ]);
    });
  });

  describe('an index without a pixel space', () => {
    it('serves code results for space=both and SPACE_UNAVAILABLE (409) for space=pixel', async () => {
      const parts = fx.service.embedded('test');
      const codeOnly = new SearchService(
        fx.service.loadedModel,
        new EmbeddedSource({ ...parts, indexes: { code: parts.indexes.code } }),
      );
      const codeApp = appFor(codeOnly);
      const both = await request(codeApp).get('/api/items/3/similar?k=2');
      assert.equal(both.status, 200);
      assert.deepEqual(Object.keys(both.body.spaces), ['code']);
      expectApiError(
        await request(codeApp).get('/api/items/3/similar?space=pixel'),
        409,
        'SPACE_UNAVAILABLE',
        'The index has no pixel space; rebuild it with `aesearch index` (without --no-pixel)',
      );
    });
  });
});
