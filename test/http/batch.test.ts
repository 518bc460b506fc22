/**
 * Batches on POST /api/search: several files in field "image" answer `{ batch: [...] }`, one answer per
 * file in order, each a search answer or that file's error; each file holds a place in the work queue.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { WorkQueue } from '../../src/http/work-queue.js';
import { DEFAULT_DECODE_BUDGET } from '../../src/image/decode-budget.js';
import { DecodeSlots } from '../../src/image/decode-slots.js';
import { pngOf } from '../helpers/fixtures.js';
import { appFor, expectApiError } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

interface HitBody {
  id: number;
}

const ids = (answer: { spaces: Record<string, { results: HitBody[] }> }, space: string) =>
  answer.spaces[space]?.results.map((h) => h.id);

/** A search answer without its timings, which differ from run to run. */
function withoutMs(answer: { spaces: Record<string, { ms?: number }> }): unknown {
  const spaces = Object.fromEntries(
    Object.entries(answer.spaces).map(([name, s]) => [name, { ...s, ms: 0 }]),
  );
  return { ...answer, spaces };
}

describe('batch search', () => {
  const fx = useTinyApp();
  let png42: Buffer;
  let png7: Buffer;

  before(async () => {
    png42 = await pngOf(await fx.service.itemPixels(42));
    png7 = await pngOf(await fx.service.itemPixels(7));
  });

  it('answers one search per file, in order, each as the single search would, and a bad file with its error', async () => {
    const res = await request(fx.app)
      .post('/api/search?k=3')
      .attach('image', png42, 'a.png')
      .attach('image', Buffer.from('nope'), 'b.png')
      .attach('image', png7, 'c.png')
      .attach('image', Buffer.alloc(0), 'd.png');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body), ['batch']);
    const [first, bad, third, empty] = res.body.batch;
    assert.equal(res.body.batch.length, 4);
    const single = await request(fx.app).post('/api/search?k=3').attach('image', png42, 'a.png');
    assert.deepEqual(
      withoutMs(first),
      withoutMs(single.body),
      'a file of a batch gets the same answer as alone',
    );
    assert.equal(ids(third, 'code')?.[0], 7);
    assert.equal(ids(third, 'pixel')?.[0], 7);
    assert.deepEqual(bad, {
      error: {
        code: 'NOT_AN_IMAGE',
        message:
          'Expected an image (PNG, JPEG, WebP or GIF) in file 2 ("b.png") in field "image" but could not decode it: it starts like text ("nope"), not like any of these formats',
      },
    });
    assert.deepEqual(empty, {
      error: {
        code: 'NO_FILE',
        message:
          'Expected an image in multipart field "image" or as the request body with an image/* content type, but received an empty file 4 ("d.png") in field "image"',
      },
    });
  });

  it('keeps the single answer shape for one file, and the query parameters for every file', async () => {
    const one = await request(fx.app).post('/api/search?k=2').attach('image', png42, 'a.png');
    assert.equal(one.body.batch, undefined);
    assert.equal(one.body.k, 2);
    const two = await request(fx.app)
      .post('/api/search?k=2&space=pixel')
      .attach('image', png42, 'a.png')
      .attach('image', png7, 'b.png');
    for (const answer of two.body.batch) {
      assert.deepEqual(Object.keys(answer.spaces), ['pixel']);
      assert.equal(answer.spaces.pixel.results.length, 2);
    }
  });

  it('takes a place in the work queue per file: a batch that does not fit is refused with OVERLOADED', async () => {
    const queue = new WorkQueue(4, { budget: DEFAULT_DECODE_BUDGET, slots: new DecodeSlots() });
    const app = appFor(fx.service, undefined, { queue });
    const held = queue.admit(2);
    const batch = () =>
      request(app)
        .post('/api/search?k=1')
        .attach('image', png42, 'a.png')
        .attach('image', png7, 'b.png')
        .attach('image', png7, 'c.png');
    expectApiError(
      await batch(),
      503,
      'OVERLOADED',
      'The server is busy (4 searches in flight, its limit); retry in 1 s, as the Retry-After header says',
    );
    const one = await request(app).post('/api/search?k=1').attach('image', png42, 'a.png');
    assert.equal(one.status, 200, 'one file still fits');
    held();
    assert.equal((await batch()).status, 200);
    assert.equal(queue.inFlight, 0, 'every place is given back');
  });
});
