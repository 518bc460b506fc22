/**
 * The bounded work queue: with a queue limit of 2 (from the config), two uploads that are still arriving
 * fill it, and every further search is refused at once with OVERLOADED (503) and Retry-After, without
 * its body being waited for; once they finish, searches are served again. A burst of 30 concurrent
 * uploads gets only 200s and 503s.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import type { SearchService } from '../../src/search/search-service.js';
import { pngOf } from '../helpers/fixtures.js';
import { TEST_BACKEND } from '../helpers/http.js';
import { type Listening, listenApp, searchesInFlight, slowUpload } from '../helpers/listen.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

const QUEUE_LIMIT = 2;

describe('overload', () => {
  let tiny: TinyIndex;
  let service: SearchService;
  let listening: Listening;
  let png: Buffer;

  before(async () => {
    tiny = await buildTinyIndex();
    service = await tiny.open();
    const config = {
      maxUploadBytes: 1024 * 1024,
      publicDir: join(PACKAGE_ROOT, 'public'),
      queueLimit: QUEUE_LIMIT,
    };
    listening = await listenApp(createApp(fixedProvider(service, TEST_BACKEND), config));
    png = await pngOf(service.itemPixels(5));
  });
  after(async () => {
    await listening.close();
    service.close();
    await tiny.cleanup();
  });

  const search = async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)]), 'q.png');
    const res = await fetch(`${listening.url}api/search?k=2`, { method: 'POST', body: form });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  };

  it('refuses searches past the limit with OVERLOADED and Retry-After, then serves again', async () => {
    const slow = [slowUpload(listening.url, png), slowUpload(listening.url, png)];
    while ((await searchesInFlight(listening.url)) < QUEUE_LIMIT) await new Promise((r) => setTimeout(r, 5));
    const refused = await Promise.all(Array.from({ length: 10 }, search));
    const similar = await fetch(`${listening.url}api/items/3/similar`);
    for (const res of [
      ...refused,
      { status: similar.status, retryAfter: similar.headers.get('retry-after'), body: await similar.json() },
    ]) {
      assert.equal(res.status, 503);
      assert.equal(res.retryAfter, '1');
      assert.deepEqual(res.body, {
        error: {
          code: 'OVERLOADED',
          message:
            'The server is busy (2 searches in flight, its limit); retry in 1 s, as the Retry-After header says',
        },
      });
    }
    assert.deepEqual(await Promise.all(slow.map(async (s) => (await s.finish()).status)), [200, 200]);
    while ((await searchesInFlight(listening.url)) > 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal((await search()).status, 200, 'served again once the queue drained');
  });

  it('answers a burst of 30 concurrent uploads with 200 or 503 only', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, search));
    const statuses = results.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 200 || s === 503),
      statuses.join(' '),
    );
    assert.ok(statuses.includes(200), 'the first admitted searches are served');
    for (const r of results.filter((r) => r.status === 503)) assert.equal(r.retryAfter, '1');
    assert.equal(await searchesInFlight(listening.url), 0, 'every place is given back');
  });
});
