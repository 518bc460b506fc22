/**
 * The other routes against createApp on a tiny trained index: item images (PNG, size, cache headers),
 * browsing, stats, health, the page, unknown routes, internal errors and the request log.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import type { ServiceProvider } from '../../src/http/provider.js';
import { withoutAbsolutePaths } from '../../src/http/public-paths.js';
import {
  badIdMessage,
  type ExpectedGetError,
  expectApiError,
  expectGetErrors,
  noItemMessage,
  TEST_BACKEND,
} from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

const CONFIG = { maxUploadBytes: 10 * 1024 * 1024, publicDir: join(PACKAGE_ROOT, 'public') };

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('item, stats and page routes', () => {
  const lines: string[] = [];
  const fx = useTinyApp(undefined, { log: (line) => lines.push(line) });

  describe('GET /api/items/:id/image', () => {
    it('serves the item as a crisp PNG of the asked size, cacheable', async () => {
      const res = await request(fx.app).get('/api/items/7/image?size=56').buffer(true);
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], 'image/png');
      assert.equal(res.headers['cache-control'], 'public, max-age=3600');
      assert.deepEqual(pngSize(res.body), [56, 56]);
      const again = await request(fx.app).get('/api/items/7/image?size=56').buffer(true);
      assert.deepEqual(again.body, res.body);
      const fallback = await request(fx.app).get('/api/items/7/image').buffer(true);
      assert.deepEqual(pngSize(fallback.body), [112, 112]);
    });

    it('rejects a bad size with BAD_PARAMETER and an unknown id with ITEM_NOT_FOUND', async () => {
      const badSizes = ['10', '561', 'big'].map(
        (size): ExpectedGetError => [
          `/api/items/7/image?size=${size}`,
          400,
          'BAD_PARAMETER',
          `Expected query parameter "size" to be a whole number from 28 to 560 but received "${size}"`,
        ],
      );
      await expectGetErrors(fx.app, [
        ...badSizes,
        ['/api/items/123456/image', 404, 'ITEM_NOT_FOUND', noItemMessage(123456)],
        ['/api/items/abc/image', 400, 'BAD_PARAMETER', badIdMessage('"abc"')],
      ]);
    });
  });

  describe('GET /api/items', () => {
    it('pages through the collection with ids, labels and image URLs', async () => {
      const res = await request(fx.app).get('/api/items?offset=10&limit=3');
      assert.equal(res.status, 200);
      assert.deepEqual(
        { ...res.body, items: undefined },
        { offset: 10, limit: 3, label: null, total: 300, items: undefined },
      );
      assert.deepEqual(
        res.body.items,
        await Promise.all(
          [10, 11, 12].map(async (id) => ({
            ...(await fx.service.item(id)),
            imageUrl: `/api/items/${id}/image`,
          })),
        ),
      );
      const end = await request(fx.app).get('/api/items?offset=299&limit=5');
      assert.deepEqual(
        end.body.items.map((i: { id: number }) => i.id),
        [299],
      );
      const defaults = await request(fx.app).get('/api/items');
      assert.equal(defaults.body.items.length, 48);
    });

    it('filters by label, counting only that label', async () => {
      const labels = fx.tiny.dataset.database.labels;
      assert.ok(labels);
      const expected = [...labels.keys()].filter((id) => labels[id] === 3);
      const res = await request(fx.app).get(`/api/items?label=3&limit=200`);
      assert.equal(res.body.total, expected.length);
      assert.deepEqual(
        res.body.items.map((i: { id: number }) => i.id),
        expected,
      );
      const page = await request(fx.app).get(`/api/items?label=3&offset=2&limit=2`);
      assert.deepEqual(
        page.body.items.map((i: { id: number }) => i.id),
        expected.slice(2, 4),
      );
    });

    it('rejects bad offset, limit and label with BAD_PARAMETER', async () => {
      const cases: [string, string][] = [
        [
          'offset=-2',
          'Expected query parameter "offset" to be a whole number from 0 to 300 but received "-2"',
        ],
        [
          'offset=301',
          'Expected query parameter "offset" to be a whole number from 0 to 300 but received "301"',
        ],
        ['limit=0', 'Expected query parameter "limit" to be a whole number from 1 to 200 but received "0"'],
        ['label=10', 'Expected query parameter "label" to be a whole number from 0 to 9 but received "10"'],
        [
          'label=Coat',
          'Expected query parameter "label" to be a whole number from 0 to 9 but received "Coat"',
        ],
      ];
      for (const [query, message] of cases) {
        expectApiError(await request(fx.app).get(`/api/items?${query}`), 400, 'BAD_PARAMETER', message);
      }
    });

    it('describes one item', async () => {
      const res = await request(fx.app).get('/api/items/5');
      assert.deepEqual(res.body, { ...(await fx.service.item(5)), imageUrl: '/api/items/5/image' });
    });
  });

  describe('GET /api/stats and /api/health', () => {
    it('describes dataset, counts, code size, architecture, backend and index', async () => {
      const res = await request(fx.app).get('/api/stats');
      assert.equal(res.status, 200);
      const { body } = res;
      assert.equal(body.items, 300);
      assert.equal(body.codeSize, 8);
      assert.equal(body.arch.arch, 'dense');
      assert.deepEqual(body.backend, TEST_BACKEND);
      assert.deepEqual(body.spaces, ['code', 'pixel']);
      assert.equal(body.dataset.name, 'fashion-mnist');
      assert.equal(body.dataset.items, 300);
      assert.equal(body.dataset.classNames.length, 10);
      assert.equal(
        body.dataset.labelCounts.reduce((a: number, b: number) => a + b, 0),
        300,
      );
      assert.equal(body.index.code.dims, 8);
      assert.equal(body.index.pixel.dims, 784);
      assert.equal(typeof body.index.code.params.efSearch, 'number');
      assert.equal(typeof body.index.code.buildSeconds, 'number');
      assert.equal(body.index.builtAt, fx.service.source.manifest.builtAt);
      assert.deepEqual(body.manifests.index, withoutAbsolutePaths(fx.service.source.manifest));
      assert.deepEqual(body.manifests.model, withoutAbsolutePaths(fx.service.modelManifest));
    });

    it('leaves absolute paths out: the dataset folder is named relative to the working folder', async () => {
      const { origin } = fx.service.source.meta;
      assert.ok(origin.startsWith(`${PACKAGE_ROOT}/data/fashion-mnist`), origin);
      const res = await request(fx.app).get('/api/stats');
      assert.equal(res.body.dataset.origin, withoutAbsolutePaths(origin));
      assert.match(res.body.dataset.origin, /^(\.\.\.\/)?data\/fashion-mnist \(test split only\)$/);
      assert.equal(res.body.manifests.index.collection.origin, res.body.dataset.origin);
      for (const path of [PACKAGE_ROOT, tmpdir(), fx.tiny.indexDir])
        assert.ok(!res.text.includes(path), path);
      const health = await request(fx.app).get('/api/health');
      assert.ok(!health.text.includes(PACKAGE_ROOT));
    });

    it('answers health', async () => {
      const res = await request(fx.app).get('/api/health');
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'ok');
      assert.equal(res.body.items, 300);
    });
  });

  describe('the page and unknown routes', () => {
    it('serves public/ with a strict content security policy', async () => {
      const page = await request(fx.app).get('/');
      assert.equal(page.status, 200);
      assert.match(page.headers['content-type'] ?? '', /^text\/html/);
      assert.match(page.text, /<script type="module" src="app.js"><\/script>/);
      assert.match(page.headers['content-security-policy'] ?? '', /default-src 'self'/);
      for (const file of ['app.js', 'api.js', 'render.js']) {
        const js = await request(fx.app).get(`/${file}`);
        assert.equal(js.status, 200, file);
        assert.match(js.headers['content-type'] ?? '', /javascript/);
      }
      assert.match((await request(fx.app).get('/style.css')).headers['content-type'] ?? '', /^text\/css/);
    });

    it('answers unknown routes with ROUTE_NOT_FOUND as JSON', async () => {
      expectApiError(
        await request(fx.app).get('/api/nothing'),
        404,
        'ROUTE_NOT_FOUND',
        'No route GET /api/nothing; the API is listed in docs/api.md (GET /api/health checks the server)',
      );
      expectApiError(
        await request(fx.app).delete('/api/stats'),
        404,
        'ROUTE_NOT_FOUND',
        'No route DELETE /api/stats; the API is listed in docs/api.md (GET /api/health checks the server)',
      );
    });

    it('answers a malformed path with BAD_REQUEST', async () => {
      expectApiError(
        await request(fx.app).get('/api/items/%E0%A4%A/image'),
        400,
        'BAD_REQUEST',
        "The request could not be read: Failed to decode param '%E0%A4%A'",
      );
    });
  });

  describe('internal errors and the log', () => {
    it('answers an unexpected error with INTERNAL (500), logging the stack but not sending it', async () => {
      const logged: string[] = [];
      const broken: ServiceProvider = {
        acquire: () => {
          throw new Error('disk on fire at /secret/path');
        },
        backend: TEST_BACKEND,
        status: () => {
          throw new Error('disk on fire at /secret/path');
        },
      };
      const res = await request(createApp(broken, CONFIG, { log: (l) => logged.push(l) })).get('/api/stats');
      expectApiError(res, 500, 'INTERNAL', 'Internal server error; the server log has the details');
      assert.doesNotMatch(res.text, /secret|fire|at /);
      assert.ok(logged.some((l) => l.startsWith('internal error: Error: disk on fire at /secret/path')));
      assert.ok(logged.some((l) => /^GET \/api\/stats 500 \d+\.\d ms$/.test(l)));
    });

    it('logs one line per request with method, path, status and time', async () => {
      lines.length = 0;
      await request(fx.app).get('/api/health?x=1');
      await request(fx.app).get('/api/items/999/similar');
      assert.equal(lines.length, 2);
      assert.match(lines[0] ?? '', /^GET \/api\/health 200 \d+\.\d ms$/);
      assert.match(lines[1] ?? '', /^GET \/api\/items\/999\/similar 404 \d+\.\d ms$/);
    });
  });
});
