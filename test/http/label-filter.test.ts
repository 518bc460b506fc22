/**
 * The `label` filter of POST /api/search and GET /api/items/:id/similar on a tiny trained index: every
 * hit carries one of the labels asked for, and there are still k of them when that many exist.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { pngOf } from '../helpers/fixtures.js';
import { expectGetErrors } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

interface HitBody {
  id: number;
  label: number;
}

describe('label filter', () => {
  const fx = useTinyApp();
  /** The rarest label of the tiny index and how many items carry it. */
  let rare: { label: number; count: number };
  let png42: Buffer;

  before(async () => {
    const counts = new Map<number, number>();
    for (const label of fx.tiny.dataset.database.labels ?? [])
      counts.set(label, (counts.get(label) ?? 0) + 1);
    const [label, count] = [...counts].sort((a, b) => a[1] - b[1])[0] ?? [0, 0];
    rare = { label, count };
    png42 = await pngOf(await fx.service.itemPixels(42));
  });

  it('POST /api/search returns exactly k hits, all of the rare label, in both spaces', async () => {
    assert.ok(rare.count >= 5 && rare.count < 300 / 10 + 5, `a rare label has a few items (${rare.count})`);
    const k = rare.count;
    const res = await request(fx.app)
      .post(`/api/search?k=${k}&label=${rare.label}`)
      .attach('image', png42, 'q.png');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const space of ['code', 'pixel']) {
      const hits: HitBody[] = res.body.spaces[space].results;
      assert.equal(hits.length, k, `${space}: all ${k} items of label ${rare.label}`);
      assert.ok(hits.every((h) => h.label === rare.label));
      assert.equal(new Set(hits.map((h) => h.id)).size, k);
    }
  });

  it('returns every item of the label when k exceeds them, and takes several labels', async () => {
    const over = await request(fx.app)
      .post(`/api/search?k=${rare.count + 7}&space=code&label=${rare.label}`)
      .attach('image', png42, 'q.png');
    assert.equal(over.body.spaces.code.results.length, rare.count);
    const two = await request(fx.app)
      .post('/api/search?k=40&label=1&label=7')
      .attach('image', png42, 'q.png');
    const labels = new Set(two.body.spaces.code.results.map((h: HitBody) => h.label));
    assert.equal(two.body.spaces.code.results.length, 40);
    assert.deepEqual([...labels].sort(), [1, 7]);
  });

  it('GET /api/items/:id/similar keeps k hits of the label and leaves the item itself out', async () => {
    const labels = fx.tiny.dataset.database.labels ?? new Int32Array();
    const own = labels.indexOf(rare.label);
    const k = rare.count - 1;
    const res = await request(fx.app).get(`/api/items/${own}/similar?k=${k}&label=${rare.label}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (const space of ['code', 'pixel']) {
      const hits: HitBody[] = res.body.spaces[space].results;
      assert.equal(hits.length, k, `${space}: every other item of label ${rare.label}`);
      assert.ok(hits.every((h) => h.label === rare.label && h.id !== own));
      assert.equal(res.body.spaces[space].precision, 1);
    }
  });

  it('answers a label that is not a label number with BAD_PARAMETER naming it', async () => {
    const expected = 'Expected query parameter "label" to be a whole number from 0 to 9 but received';
    await expectGetErrors(fx.app, [
      ['/api/items/1/similar?label=shirt', 400, 'BAD_PARAMETER', `${expected} "shirt"`],
      ['/api/items/1/similar?label=3&label=10', 400, 'BAD_PARAMETER', `${expected} "10"`],
      ['/api/items/1/similar?label=', 400, 'BAD_PARAMETER', `${expected} ""`],
    ]);
    const upload = await request(fx.app).post('/api/search?label=-1').attach('image', png42, 'q.png');
    assert.equal(upload.status, 400);
    assert.equal(upload.body.error.message, `${expected} "-1"`);
  });
});
