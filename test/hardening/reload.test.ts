/**
 * Rebuilding while serving: the service holder closes a replaced service only after its last request;
 * a request still decoding during a swap finishes on the old model; reloads are serialised; the server
 * notices `aesearch index` (run in a child process while searches loop) and swaps with 0 failed requests;
 * a failed reload keeps the last good index and says why, and frees what it loaded; POST
 * /api/admin/reload needs the token. Every wait is bounded, so a broken expectation fails instead of hanging.
 */
import assert from 'node:assert/strict';
import { cp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig, PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';

import { WorkQueue } from '../../src/http/work-queue.js';
import { DEFAULT_DECODE_BUDGET } from '../../src/image/decode-budget.js';
import { DecodeSlots } from '../../src/image/decode-slots.js';
import { SearchService } from '../../src/search/search-service.js';
import { IndexReloader } from '../../src/server/index-reloader.js';
import { openForReload } from '../../src/server/serve.js';
import { holderProvider, ServiceHolder } from '../../src/server/service-holder.js';
import { type IndexManifest, readIndexManifest } from '../../src/store/manifest.js';
import { VectorIndex } from '../../src/store/vector-index.js';
import { writeJsonAtomic } from '../../src/util/atomic-fs.js';
import { runCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { appFor, expectApiError, TEST_BACKEND } from '../helpers/http.js';
import { listenApp } from '../helpers/listen.js';
import { searchLoop, startTestServer } from '../helpers/server.js';
import { useTinyScratch } from '../helpers/suite.js';

/** A stand-in service: only what the holder and reloader read. */
function fakeService(id: string, closed: string[]): SearchService {
  return {
    source: { manifest: { dir: id }, identity: { id, builtAt: 'then', items: 1 } },
    close: () => closed.push(id),
  } as unknown as SearchService;
}

/** Polls at most this many times, 20 ms apart (about 30 s), before a wait gives up. */
const MAX_POLLS = 1500;

/** Waits until `condition` holds; fails, naming `what`, when it still does not after MAX_POLLS polls. */
async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`gave up waiting for ${what}`);
}

interface Health {
  index: { id: string };
  lastReload: { ok: boolean; error: string | null; trigger: string } | null;
}

async function health(url: string): Promise<Health> {
  return (await (await fetch(`${url}api/health`)).json()) as Health;
}

describe('service holder and reloader', () => {
  it('closes a replaced service only when its last lease is released', () => {
    const closed: string[] = [];
    const holder = new ServiceHolder(fakeService('a', closed));
    const first = holder.acquire();
    const second = holder.acquire();
    holder.swap(fakeService('b', closed));
    assert.equal(holder.current.source.manifest.dir, 'b');
    assert.equal(holder.acquire().service.source.manifest.dir, 'b', 'new leases get the new service');
    first.release();
    first.release();
    assert.deepEqual(closed, [], 'a is still leased');
    second.release();
    assert.deepEqual(closed, ['a']);
    holder.swap(fakeService('c', closed));
    assert.deepEqual(closed, ['a'], 'b is still leased by the third lease');
    holder.close();
    assert.deepEqual(closed, ['a', 'c']);
    holder.close();
    assert.throws(
      () => holder.swap(fakeService('d', closed)),
      /the server closed while the new index was loading/,
    );
    assert.deepEqual(closed, ['a', 'c', 'd'], 'a service loaded after close is closed, c not twice');
  });

  it('never runs two reloads at once, and loads again for requests that came during one', async () => {
    const closed: string[] = [];
    const holder = new ServiceHolder(fakeService('v0', closed));
    let opened = 0;
    let running = 0;
    let release = () => {};
    const reloader = new IndexReloader(holder, async () => {
      running++;
      assert.equal(running, 1, 'one reload at a time');
      await new Promise<void>((r) => {
        release = r;
      });
      running--;
      return fakeService(`v${++opened}`, closed);
    });
    const calls = [reloader.reload('a'), reloader.reload('b'), reloader.reload('c')];
    await until('the first load to start', () => opened === 0 && running === 1);
    release();
    await until('the second load to start', () => running === 1 && opened === 1);
    release();
    const statuses = await Promise.all(calls);
    assert.equal(opened, 2, 'b and c share the second load');
    assert.deepEqual(
      statuses.map((s) => s.index.id),
      ['v1', 'v2', 'v2'],
    );
    assert.deepEqual(closed, ['v0', 'v1']);
  });

  it('keeps the last good service when a reload fails, and records why', async () => {
    const lines: string[] = [];
    const holder = new ServiceHolder(fakeService('good', []));
    const reloader = new IndexReloader(
      holder,
      async () => {
        throw new Error('code.hnsw cannot be loaded');
      },
      (l) => lines.push(l),
    );
    const status = await reloader.reload('test');
    assert.equal(status.index.id, 'good');
    assert.equal(status.lastReload?.ok, false);
    assert.equal(status.lastReload?.error, 'code.hnsw cannot be loaded');
    assert.deepEqual(lines, [
      'reload failed (test): code.hnsw cannot be loaded; still serving good (1 items, built at then)',
    ]);
  });
});

describe('reloading a served index', { timeout: 180_000 }, () => {
  const fx = useTinyScratch();
  let png: Buffer;

  before(async () => {
    const service = await fx.tiny.open();
    png = await pngOf(await service.itemPixels(9));
    await service.close();
  });

  it('lets a request that is decoding during a swap finish on the old model', async () => {
    const closed: SearchService[] = [];
    const old = await fx.tiny.open();
    const holder = new ServiceHolder(old, (s) => {
      closed.push(s);
      s.close();
    });
    let entered = () => {};
    const inDecode = new Promise<void>((r) => {
      entered = r;
    });
    let openGate = () => {};
    const gate = new Promise<void>((r) => {
      openGate = r;
    });
    const slots = new (class extends DecodeSlots {
      override async run<T>(costly: boolean, image: string, work: () => Promise<T>): Promise<T> {
        entered();
        await gate;
        return super.run(costly, image, work);
      }
    })();
    const queue = new WorkQueue(8, { budget: DEFAULT_DECODE_BUDGET, slots });
    const reloader = { status: () => ({}) as never, reload: async () => ({}) as never };
    const config = { maxUploadBytes: 1 << 20, publicDir: join(PACKAGE_ROOT, 'public') };
    const app = createApp(holderProvider(holder, TEST_BACKEND, reloader), config, { queue });
    const listening = await listenApp(app);
    try {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(png)]), 'q.png');
      const pending = fetch(`${listening.url}api/search?k=1&space=code`, { method: 'POST', body: form });
      await Promise.race([
        inDecode,
        pending.then(async (res) =>
          assert.fail(`answered before decoding: ${res.status} ${await res.clone().text()}`),
        ),
      ]);
      holder.swap(await fx.tiny.open());
      assert.deepEqual(closed, [], 'the old service is leased by the request in flight');
      openGate();
      const res = await pending;
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { query: { code: number[] } }).query.code.length, 8);
      await until('the old service to be closed', () => closed.length === 1);
      assert.equal(closed[0], old, 'closed once the request was over');
    } finally {
      await listening.close();
      holder.close();
    }
  });

  it('swaps to an index rebuilt by `aesearch index` while searches run, with 0 failed requests', async () => {
    const indexDir = join(fx.scratch.dir, 'rebuild');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const server = await startTestServer(indexDir);
    try {
      const before = (await health(server.url)).index.id;
      const rebuild = runCli(['index', '--index-dir', indexDir, '--limit', '300', '--ef-search', '40'], {
        AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'),
      });
      // Waits for the reload's outcome, not for its success: a failed reload fails the test at once.
      const swapped = rebuild.then(async (run) => {
        assert.equal(run.code, 0, run.stderr);
        await until('a reload', async () => (await health(server.url)).lastReload !== null);
      });
      const report = await searchLoop(server.url, png, swapped);
      await swapped;
      const after = await health(server.url);
      assert.deepEqual(
        after.lastReload && [after.lastReload.ok, after.lastReload.trigger, after.lastReload.error],
        [true, 'index/manifest.json changed', null],
      );
      assert.deepEqual(report.failures, []);
      assert.ok(report.ok >= 8, `searched during the rebuild (${report.ok} answers)`);
      assert.equal(report.indexes[0], before);
      const manifest = JSON.parse(await readFile(join(indexDir, 'manifest.json'), 'utf8')) as IndexManifest;
      assert.equal(after.index.id, manifest.dir, 'the new index is served');
      assert.equal(manifest.code.params.efSearch, 40);
      assert.ok(
        server.lines.some((l) =>
          l.startsWith(`reloaded (index/manifest.json changed): now serving ${manifest.dir}`),
        ),
      );
    } finally {
      await server.close();
    }
  });

  it('keeps serving the last good index when the new one cannot be loaded, and says why', async () => {
    const indexDir = join(fx.scratch.dir, 'broken');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const server = await startTestServer(indexDir, { adminToken: 'open-sesame-0123456789' });
    try {
      const good = await readFile(join(indexDir, 'manifest.json'), 'utf8');
      const served = (await health(server.url)).index.id;
      await writeJsonAtomic(join(indexDir, 'manifest.json'), { ...JSON.parse(good), dir: 'ann-gone' });
      await until('the failed reload', async () => (await health(server.url)).lastReload !== null);
      const status = await health(server.url);
      const missing = join(indexDir, 'ann-gone', 'code.hnsw');
      const reason = `${missing} cannot be loaded (the file is missing); run \`aesearch index\` to rebuild it`;
      assert.equal(status.index.id, served, 'still the last good index');
      // The log has the absolute path; the public answer only its end.
      const publicReason = reason.replace(missing, '.../ann-gone/code.hnsw');
      assert.deepEqual(status.lastReload && [status.lastReload.ok, status.lastReload.error], [
        false,
        publicReason,
      ]);
      assert.ok(
        server.lines.some((l) =>
          l.startsWith(`reload failed (index/manifest.json changed): ${reason}; still serving ${served}`),
        ),
      );
      const base = server.url.replace(/\/$/, '');
      const search = await request(base).get('/api/items/4/similar?k=2');
      assert.equal(search.status, 200, 'searches still work');

      const admin = () => request(base).post('/api/admin/reload');
      expectApiError(
        await admin(),
        401,
        'UNAUTHORIZED',
        'Expected the admin token in an "Authorization: Bearer <token>" header but received no Authorization header; use the value of AESEARCH_ADMIN_TOKEN',
      );
      const wrong = await admin().set('Authorization', 'Bearer open');
      expectApiError(wrong, 401, 'UNAUTHORIZED', /received a wrong token/);
      assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="aesearch admin"');
      const failed = await admin().set('Authorization', 'Bearer open-sesame-0123456789');
      expectApiError(
        failed,
        409,
        'RELOAD_FAILED',
        new RegExp(
          `^The index on disk could not be loaded: .+; run \`aesearch index\` to rebuild it\\. Still serving ${served} \\(300 items, built at `,
        ),
      );
      await writeJsonAtomic(join(indexDir, 'manifest.json'), JSON.parse(good));
      const ok = await admin().set('Authorization', 'Bearer open-sesame-0123456789');
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.equal(ok.body.reloaded, true);
      assert.equal(ok.body.index.id, served);
      assert.equal(ok.body.lastReload.trigger, 'POST /api/admin/reload');
    } finally {
      await server.close();
    }
  });

  it('frees the vector indexes a failed reload opened: a missing file, a failed warm-up', async (t) => {
    const indexDir = join(fx.scratch.dir, 'half');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const config = loadConfig({ indexDir, dataPath: TEST_DATA_PATH }, {});
    const current = await SearchService.open(indexDir);
    const opens = t.mock.method(VectorIndex, 'open');
    const openedSince = async (call: number) =>
      (await Promise.allSettled(opens.mock.calls.slice(call).map((c) => c.result))).flatMap((r) =>
        r.status === 'fulfilled' && r.value ? [r.value] : [],
      );
    const assertFreed = (indexes: VectorIndex[], when: string) => {
      assert.ok(indexes.length > 0, `${when}: some vector index was opened`);
      for (const index of indexes)
        assert.throws(() => index.search(new Float32Array(index.dims), 1), /disposed vector index/, when);
    };
    try {
      const { dir } = await readIndexManifest(indexDir);
      const pixelFile = join(indexDir, dir, 'pixel.hnsw');
      await rm(pixelFile);
      await assert.rejects(openForReload(config), {
        code: 'INDEX_CORRUPT',
        message: `${pixelFile} cannot be loaded (the file is missing); run \`aesearch index\` to rebuild it`,
      });
      assertFreed(await openedSince(0), 'code.hnsw opened, pixel.hnsw missing');

      await cp(join(fx.tiny.indexDir, dir, 'pixel.hnsw'), pixelFile);
      // The new index opens but its warm-up fails (as a model that cannot encode the items would).
      t.mock.method(SearchService.prototype, 'warmUp', async () => {
        throw new Error('warm-up failed');
      });
      const calls = opens.mock.callCount();
      await assert.rejects(openForReload(config), /warm-up failed/);
      assertFreed(await openedSince(calls), 'warm-up failed');
    } finally {
      current.close();
    }
  });

  it('answers ADMIN_DISABLED when no admin token is configured', async () => {
    const service = await fx.tiny.open();
    try {
      expectApiError(
        await request(appFor(service)).post('/api/admin/reload').set('Authorization', 'Bearer x'),
        403,
        'ADMIN_DISABLED',
        'Changing the collection or reloading over HTTP is disabled because no admin token is set; start the server with AESEARCH_ADMIN_TOKEN set (it also reloads by itself when index/manifest.json changes)',
      );
    } finally {
      await service.close();
    }
  });
});
