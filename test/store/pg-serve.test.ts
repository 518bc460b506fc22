/**
 * Serving from PostgreSQL: a tiny index published with `publishIndex` (what `aesearch index --store`
 * does) into PGlite + pgvector over the wire protocol (or a real server with AESEARCH_TEST_PG_URL), two
 * real servers on it with no index folder of their own, items added and removed through one and seen by
 * the other, a new build picked up without a restart, the store going away and coming back.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { openService } from '../../src/search/open-service.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { publishIndex } from '../../src/store/pg/publish.js';
import { pngOf, tempDir } from '../helpers/fixtures.js';
import { expectApiError } from '../helpers/http.js';
import { until } from '../helpers/listen.js';
import { startPg, type TestPg } from '../helpers/pg.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

const TOKEN = 'a-token-of-sixteen-chars-or-more';
const auth = { Authorization: `Bearer ${TOKEN}` };

/** A 28 x 28 picture unlike any garment, different for each `n`. */
function stripes(n: number): Buffer {
  return pngOf(Uint8Array.from({ length: 28 * 28 }, (_, i) => ((i * (n + 3) + n * 17) % 7 < 3 ? 250 : 5)));
}

describe('serving from a PostgreSQL store', () => {
  let pg: TestPg;
  let tiny: TinyIndex;
  let other: TinyIndex;
  let servers: TestServer[] = [];
  let empty: { dir: string; cleanup(): Promise<void> };

  before(async () => {
    pg = await startPg();
    tiny = await buildTinyIndex();
    other = await buildTinyIndex({ seed: 11 });
    const report = await publishIndex(pg.url, tiny.indexDir);
    assert.equal(report.copied, 300);
    assert.equal(report.items, 300);
    // The servers get an empty folder: everything they serve must come from the store.
    empty = await tempDir();
    servers = [
      await startTestServer(empty.dir, { store: pg.url, adminToken: TOKEN }),
      await startTestServer(empty.dir, { store: pg.url, adminToken: TOKEN }),
    ];
  });

  after(async () => {
    for (const s of servers) await s.close();
    await pg?.close();
    await tiny?.cleanup();
    await other?.cleanup();
    await empty?.cleanup();
  });

  const url = (i: number) => (servers[i] as TestServer).url.replace(/\/$/, '');

  it('searches both spaces with the stored model and collection, and finds a stored item as its own top hit', async () => {
    const res = await request(url(1)).get('/api/items/42/similar?k=5');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.spaces).sort(), ['code', 'pixel']);
    assert.equal(res.body.spaces.code.results.length, 5);
    const input = await request(url(0)).get('/api/items/42/input');
    assert.equal(input.status, 200);
    const byUpload = await request(url(0)).post('/api/search?k=1').attach('image', input.body, 'q.png');
    assert.equal(byUpload.status, 200, JSON.stringify(byUpload.body));
    for (const space of ['code', 'pixel']) assert.equal(byUpload.body.spaces[space].results[0].id, 42, space);
    // The unusual-query profile came through the store: the same score and threshold as the folder's.
    const local = await tiny.open();
    try {
      const here = await local.searchById(42, { k: 1, spaces: ['code'] });
      assert.equal(res.body.query.unusual.score, here.query.unusual.score);
      assert.equal(res.body.query.unusual.threshold, local.unusualThreshold(99.5));
      assert.equal(typeof byUpload.body.query.unusual.score, 'number');
    } finally {
      local.close();
    }
    const stats = await request(url(1)).get('/api/stats');
    assert.equal(stats.body.items, 300);
  });

  it('answers an item added through one server as its own top hit through the other, and forgets a removed one', async () => {
    const png = stripes(1);
    const added = await request(url(0)).post('/api/items').set(auth).attach('image', png, 'stripes.png');
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const id = added.body.added[0].id as number;
    const found = await request(url(1)).post('/api/search?k=1').attach('image', png, 'q.png');
    assert.equal(found.status, 200, JSON.stringify(found.body));
    assert.equal(found.body.spaces.code.results[0].id, id);
    assert.ok(found.body.spaces.code.results[0].distance < 1e-3);
    assert.equal(found.body.spaces.pixel.results[0].id, id);
    const again = await request(url(1)).post('/api/items').set(auth).attach('image', png, 'again.png');
    assert.deepEqual(
      again.body.duplicates,
      [{ source: 'again.png', id }],
      'the other server sees it as a duplicate',
    );
    await until('the other server to count it', async () => {
      return (await request(url(1)).get('/api/health')).body.items === 301;
    });

    assert.equal((await request(url(1)).delete(`/api/items/${id}`).set(auth)).status, 204);
    const gone = await request(url(0)).post('/api/search?k=3').attach('image', png, 'q.png');
    assert.ok(!gone.body.spaces.code.results.some((r: { id: number }) => r.id === id));
    expectApiError(await request(url(0)).get(`/api/items/${id}`), 404, 'ITEM_NOT_FOUND', /./);
  });

  it('answers EMBEDDED_ONLY for near-duplicates, which only the embedded store finds', async () => {
    expectApiError(await request(url(0)).get('/api/duplicates'), 409, 'EMBEDDED_ONLY', /PostgreSQL store at/);
  });

  it('answers 503 STORE_UNREACHABLE naming the host while the store is away, and recovers after', async () => {
    await pg.stop();
    try {
      const res = await request(url(0)).get('/api/items/3/similar?k=2');
      expectApiError(res, 503, 'STORE_UNREACHABLE', new RegExp(pg.host.replace(/\./g, '\\.')));
    } finally {
      await pg.restart();
    }
    await until('the store to answer again', async () => {
      return (await request(url(0)).get('/api/items/3/similar?k=2')).status === 200;
    });
  });

  it('refuses a store whose codes another model made with INDEX_MISMATCH', async () => {
    const store = await PgStore.open(pg.url);
    const build = await store.build();
    const rightModel = build?.manifest.model.weightsHash ?? '';
    try {
      await store.setCodes('0123456789abcdef', []);
      const config = loadConfig({ store: pg.url, indexDir: empty.dir }, {});
      await assert.rejects(openService(config), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'INDEX_MISMATCH');
        assert.match(err.message, /model 0123456789abcdef but the current one is/);
        return true;
      });
    } finally {
      await store.setCodes(rightModel, []);
      await store.close();
    }
  });

  it('picks up a new build (another model) without a restart', async () => {
    const before = (await request(url(0)).get('/api/health')).body.index.id as string;
    const report = await publishIndex(pg.url, other.indexDir);
    assert.equal(report.copied, 0, 'the collection in the store is kept');
    for (const i of [0, 1])
      await until(`server ${i} to reload`, async () => {
        return (await request(url(i)).get('/api/health')).body.index.id !== before;
      });
    const stats = await request(url(1)).get('/api/stats');
    assert.equal(
      stats.body.model.weightsHash,
      await other.open().then(async (s) => {
        const hash = s.model;
        await s.close();
        return hash;
      }),
    );
    const res = await request(url(1)).get('/api/items/42/similar?k=3');
    assert.equal(res.status, 200);
  });
});
