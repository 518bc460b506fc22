/**
 * Changing the collection over HTTP without a rebuild: POST /api/items and DELETE /api/items/:id with
 * the admin token, the answers' shapes, duplicates and rejected files, the item routes of an added item,
 * and a restart that keeps every change.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { loadDataset } from '../../src/dataset/load.js';
import { SearchService } from '../../src/search/search-service.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { appFor, expectApiError, noItemMessage } from '../helpers/http.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { useTinyScratch } from '../helpers/suite.js';

const TOKEN = 'a-token-of-sixteen-chars-or-more';

describe('POST /api/items and DELETE /api/items/:id', () => {
  const fx = useTinyScratch();
  let indexDir: string;
  let server: TestServer;
  /** PNGs of 5 test-split images the tiny index (the first 300) does not hold. */
  let fresh: Buffer[];
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const base = () => server.url.replace(/\/$/, '');

  before(async () => {
    indexDir = join(fx.scratch.dir, 'index');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const more = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 320 });
    fresh = [310, 311, 312, 313, 314].map((i) =>
      pngOf(more.database.pixels.subarray(i * 784, (i + 1) * 784)),
    );
    server = await startTestServer(indexDir, { adminToken: TOKEN });
  });
  after(async () => {
    await server.close();
  });

  const post = (files: Buffer[], names: string[], label?: string) => {
    let req = request(base()).post('/api/items').set(auth);
    files.forEach((f, i) => {
      req = req.attach('image', f, names[i] ?? `f${i}.png`);
    });
    return label === undefined ? req : req.field('label', label);
  };

  async function topHit(png: Buffer, space: 'code' | 'pixel') {
    const res = await request(base()).post(`/api/search?k=3&space=${space}`).attach('image', png, 'q.png');
    assert.equal(res.status, 200, res.text);
    return res.body.spaces[space].results[0] as { id: number; distance: number; source: string };
  }

  it('refuses without the token (401) and when no token is configured (403)', async () => {
    expectApiError(
      await request(base())
        .post('/api/items')
        .attach('image', fresh[0] as Buffer, 'a.png'),
      401,
      'UNAUTHORIZED',
      'Expected the admin token in an "Authorization: Bearer <token>" header but received no Authorization header; use the value of AESEARCH_ADMIN_TOKEN',
    );
    expectApiError(
      await request(base()).delete('/api/items/3').set('Authorization', 'Bearer wrong-token-wrong-token'),
      401,
      'UNAUTHORIZED',
      'Expected the admin token in an "Authorization: Bearer <token>" header but received a wrong token; use the value of AESEARCH_ADMIN_TOKEN',
    );
    const open = appFor(server.holder.current);
    const res = await request(open).delete('/api/items/3').set(auth);
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'ADMIN_DISABLED');
    assert.equal((await request(base()).get('/api/health')).body.items, 300);
  });

  it('adds images (201), each at once its own top hit at distance ~0 in both spaces', async () => {
    const res = await post(fresh.slice(0, 3), ['a.png', 'b.png', 'c.png'], 'new things');
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body.duplicates, []);
    assert.deepEqual(res.body.removed, []);
    assert.deepEqual(res.body.rejected, []);
    assert.deepEqual(
      res.body.added.map((a: { source: string; label: string }) => [a.source, a.label]),
      [
        ['a.png', 'new things'],
        ['b.png', 'new things'],
        ['c.png', 'new things'],
      ],
    );
    const ids = res.body.added.map((a: { id: number }) => a.id) as number[];
    assert.ok(
      ids.every((id) => id >= 300),
      `new ids, never reused: ${ids}`,
    );
    for (const [i, id] of ids.entries()) {
      for (const space of ['code', 'pixel'] as const) {
        const hit = await topHit(fresh[i] as Buffer, space);
        assert.equal(hit.id, id, `${space}: upload ${i} finds itself`);
        assert.ok(hit.distance < 1e-3, `${space}: distance ${hit.distance}`);
        assert.equal(hit.source, ['a.png', 'b.png', 'c.png'][i]);
      }
    }
    assert.equal((await request(base()).get('/api/health')).body.items, 303);

    const item = await request(base()).get(`/api/items/${ids[0]}`);
    assert.equal(item.status, 200);
    assert.deepEqual(Object.keys(item.body).sort(), [
      'addedAt',
      'id',
      'imageUrl',
      'label',
      'labelName',
      'source',
    ]);
    assert.equal(item.body.labelName, 'new things');
    assert.equal(item.body.label, 10, 'a new label name gets the next label number');
    assert.ok(Date.now() - Date.parse(item.body.addedAt) < 60_000);
    const image = await request(base()).get(`${item.body.imageUrl}?size=64`);
    assert.equal(image.status, 200);
    assert.equal(image.headers['content-type'], 'image/webp');
    const input = await request(base()).get(`/api/items/${ids[0]}/input`);
    assert.equal(input.headers['content-type'], 'image/png');
    const seeded = await request(base()).get('/api/items/0/image');
    assert.equal(seeded.headers['content-type'], 'image/png', 'an IDX item is its own original');
  });

  it('reports bytes already there as duplicates and bad files as rejected, adding the rest', async () => {
    const res = await post(
      [fresh[0] as Buffer, Buffer.from('not an image at all'), fresh[3] as Buffer],
      ['again.png', 'notes.txt', 'd.png'],
    );
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.added.length, 1);
    assert.equal(res.body.added[0].source, 'd.png');
    assert.equal(res.body.added[0].label, null);
    assert.equal(res.body.duplicates.length, 1);
    assert.equal(res.body.duplicates[0].source, 'again.png');
    assert.equal(res.body.duplicates[0].id, (await topHit(fresh[0] as Buffer, 'code')).id);
    assert.equal(res.body.rejected.length, 1);
    assert.equal(res.body.rejected[0].source, 'notes.txt');
    assert.equal(res.body.rejected[0].error.code, 'NOT_AN_IMAGE');
    const twice = await post([fresh[4] as Buffer, fresh[4] as Buffer], ['e.png', 'e-copy.png']);
    assert.deepEqual(
      [twice.body.added.length, twice.body.duplicates[0]?.source],
      [1, 'e-copy.png'],
      'a copy inside one request is added once',
    );
  });

  it('removes an item (204): it never comes back; a second DELETE is 404', async () => {
    const gone = (await topHit(fresh[1] as Buffer, 'code')).id;
    const res = await request(base()).delete(`/api/items/${gone}`).set(auth);
    assert.equal(res.status, 204);
    for (const space of ['code', 'pixel'] as const) {
      const found = await request(base())
        .post(`/api/search?k=50&space=${space}`)
        .attach('image', fresh[1] as Buffer, 'q.png');
      assert.ok(!found.body.spaces[space].results.some((h: { id: number }) => h.id === gone), space);
    }
    expectApiError(
      await request(base()).delete(`/api/items/${gone}`).set(auth),
      404,
      'ITEM_NOT_FOUND',
      noItemMessage(gone),
    );
    expectApiError(
      await request(base()).get(`/api/items/${gone}`),
      404,
      'ITEM_NOT_FOUND',
      noItemMessage(gone),
    );
    const seeded = await request(base()).delete('/api/items/7').set(auth);
    assert.equal(seeded.status, 204, 'a seeded item can be removed too');
    assert.equal((await request(base()).get('/api/health')).body.items, 303);
  });

  it('keeps every change after a restart', async () => {
    await server.close();
    const service = await SearchService.open(indexDir);
    try {
      assert.equal(service.count, 303);
      assert.equal(service.embedded('test').catalogue.count(), 303);
      const found = await service.searchByImage(fresh[2] as Buffer, { k: 1, spaces: ['code', 'pixel'] });
      assert.equal(found.spaces.code?.results[0]?.source, 'c.png');
      assert.equal(found.spaces.pixel?.results[0]?.source, 'c.png');
      await assert.rejects(service.item(7), { code: 'ITEM_NOT_FOUND' });
    } finally {
      await service.close();
    }
    server = await startTestServer(indexDir, { adminToken: TOKEN });
    assert.equal((await request(base()).get('/api/health')).body.items, 303);
  });
});
