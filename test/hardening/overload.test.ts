/**
 * The bounded work queue: with a limit of 2 places, both taken, every further search is refused at once
 * with OVERLOADED (503) and Retry-After, an upload before its body has arrived; once the places are given
 * back, searches are served again. A burst of 30 concurrent uploads gets only 200s and 503s.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import { WorkQueue } from '../../src/http/work-queue.js';
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
  const queue = new WorkQueue(QUEUE_LIMIT);

  before(async () => {
    tiny = await buildTinyIndex();
    service = await tiny.open();
    const config = {
      maxUploadBytes: 1024 * 1024,
      publicDir: join(PACKAGE_ROOT, 'public'),
    };
    listening = await listenApp(createApp(fixedProvider(service, TEST_BACKEND), config, { queue }));
    png = await pngOf(await service.itemPixels(5));
  });
  after(async () => {
    await listening.close();
    await service.close();
    await tiny.cleanup();
  });

  const search = async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)]), 'q.png');
    const res = await fetch(`${listening.url}api/search?k=2`, { method: 'POST', body: form });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
  };

  it('refuses searches past the limit with OVERLOADED and Retry-After, then serves again', async () => {
    const places = [queue.admit(), queue.admit()];
    assert.equal(await searchesInFlight(listening.url), QUEUE_LIMIT);
    const held = slowUpload(listening.url, png);
    const early = await held.response;
    assert.equal(early.status, 503, 'refused before its body has arrived');
    await held.closed;
    const refused = await Promise.all(Array.from({ length: 10 }, search));
    const similar = await fetch(`${listening.url}api/items/3/similar`);
    for (const res of [
      { status: early.status, retryAfter: early.headers['retry-after'], body: JSON.parse(early.body) },
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
    for (const release of places) release();
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
