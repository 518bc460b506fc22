/**
 * GET /api/duplicates on a tiny collection with planted copies (JPEG quality 50, resize, crop <= 5%,
 * brightness +-10%, one edit per copy) and one exact copy (the same pixels in other bytes): the answer's
 * shape and order, the exact flag, paging, a new answer after a change, parameter errors, and the
 * precision and recall of the planted pairs at the default D.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import { PLANTED_EDITS, plantedCopy, scorePairs, seededRandom } from '../../src/eval/planted-copies.js';
import { pngOf } from '../helpers/fixtures.js';
import { expectApiError } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

/** Items of the tiny index (of 300) that get a planted copy: 15 of each edit. */
const ORIGINALS = Array.from({ length: 60 }, (_, n) => n * 4 + 3);

interface GroupJson {
  items: { id: number; label: number | null; labelName: string | null; imageUrl: string }[];
  distance: number;
  exact: boolean;
}
interface DuplicatesJson {
  maxDistance: number;
  defaultMaxDistance: number;
  offset: number;
  limit: number;
  total: number;
  groups: GroupJson[];
}

describe('GET /api/duplicates', () => {
  const fx = useTinyApp();
  /** (original, copy) ids, and the edit of each. */
  const planted: [number, number][] = [];
  const edits: string[] = [];
  let exactPair: [number, number];

  async function get(query: string): Promise<DuplicatesJson> {
    const res = await request(fx.app).get(`/api/duplicates${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body as DuplicatesJson;
  }

  it('plants the copies', async () => {
    const rng = seededRandom(7);
    const pixels = fx.tiny.dataset.database.pixels;
    const png = (id: number) => pngOf(pixels.subarray(id * 784, (id + 1) * 784));
    const images = [];
    for (const [n, id] of ORIGINALS.entries()) {
      const edit = PLANTED_EDITS[n % PLANTED_EDITS.length] ?? 'jpeg';
      edits.push(edit);
      const bytes = await plantedCopy(png(id), edit, rng);
      images.push({ bytes, source: `copy-of-${id}-${edit}`, root: null, labelName: null, mtimeMs: null });
    }
    // The same pixels in other bytes (another PNG compression level): the identical model input.
    const exactOf = 290;
    const other = await sharp(png(exactOf)).png({ compressionLevel: 1 }).toBuffer();
    images.push({ bytes: other, source: 'recompressed.png', root: null, labelName: null, mtimeMs: null });
    const report = await fx.service.addImages(images);
    assert.equal(report.added.length, ORIGINALS.length + 1, JSON.stringify(report));
    for (const [n, id] of ORIGINALS.entries()) planted.push([id, report.added[n]?.id ?? -1]);
    exactPair = [exactOf, report.added[ORIGINALS.length]?.id ?? -1];
  });

  it('answers groups closest first, each with its items, diameter and exact flag', async () => {
    const body = await get('?limit=200');
    assert.deepEqual(Object.keys(body), [
      'maxDistance',
      'defaultMaxDistance',
      'offset',
      'limit',
      'total',
      'groups',
    ]);
    assert.equal(body.maxDistance, body.defaultMaxDistance);
    assert.ok(body.maxDistance > 0);
    assert.equal(body.total, body.groups.length);
    const distances = body.groups.map((g) => g.distance);
    assert.deepEqual(
      distances,
      [...distances].sort((a, b) => a - b),
    );
    const exact = body.groups.find((g) => g.items.some((i) => i.id === exactPair[1]));
    assert.ok(exact, 'the exact copy is grouped');
    assert.deepEqual(
      exact.items.map((i) => i.id),
      exactPair,
    );
    assert.equal(exact.exact, true);
    assert.equal(exact.distance, 0);
    assert.equal(body.groups[0]?.distance, 0);
    const original = exact.items[0];
    const item = await fx.service.item(exactPair[0]);
    assert.deepEqual(original, {
      id: exactPair[0],
      label: item.label,
      labelName: item.labelName,
      imageUrl: `/api/items/${exactPair[0]}/image`,
    });
    assert.equal(body.groups.filter((g) => g.exact).length, 1, 'only the identical pixels are exact');
  });

  it('finds the planted pairs at the default D with precision >= 0.95 and recall >= 0.90, each edit too', async () => {
    const body = await get('?limit=200');
    const groups = body.groups.map((g) => g.items.map((i) => i.id));
    const score = scorePairs(groups, [...planted, exactPair]);
    const byEdit = PLANTED_EDITS.map((edit) => {
      const mine = planted.filter((_, n) => edits[n] === edit);
      return { edit, ...scorePairs(groups, mine) };
    });
    // Printed so a run shows what it reaches (docs/collections.md, "Near-duplicates").
    console.log(
      `planted copies at D ${body.maxDistance.toFixed(4)}: ${JSON.stringify(score)}; recall by edit: ${byEdit.map((e) => `${e.edit} ${e.recall.toFixed(2)}`).join(', ')}`,
    );
    assert.ok(score.precision >= 0.95, JSON.stringify(score));
    assert.ok(score.recall >= 0.9, JSON.stringify(score));
    for (const e of byEdit) assert.ok(e.recall >= 0.9, JSON.stringify(e));
  });

  it('pages, takes maxDistance, and answers anew after a change', async () => {
    const all = await get('?limit=200');
    const page = await get('?offset=1&limit=2');
    assert.deepEqual(page.groups, all.groups.slice(1, 3));
    assert.equal(page.total, all.total);
    const zero = await get('?maxDistance=0');
    assert.ok(zero.groups.some((g) => g.items.some((i) => i.id === exactPair[1])));
    assert.ok(zero.groups.every((g) => g.distance === 0));
    const wide = await get(`?maxDistance=${all.maxDistance * 2}`);
    assert.equal(wide.maxDistance, all.maxDistance * 2);
    assert.ok(wide.total >= all.total);
    await fx.service.removeItems([exactPair[1]]);
    const after = await get('?limit=200');
    assert.ok(after.groups.every((g) => g.items.every((i) => i.id !== exactPair[1])));
  });

  it('refuses bad parameters with a message naming them', async () => {
    expectApiError(
      await request(fx.app).get('/api/duplicates?maxDistance=-1'),
      400,
      'BAD_PARAMETER',
      'Expected query parameter "maxDistance" to be a finite number of at least 0 but received "-1"',
    );
    expectApiError(
      await request(fx.app).get('/api/duplicates?limit=201'),
      400,
      'BAD_PARAMETER',
      'Expected query parameter "limit" to be a whole number from 1 to 200 but received "201"',
    );
    expectApiError(
      await request(fx.app).get('/api/duplicates?offset=x'),
      400,
      'BAD_PARAMETER',
      'Expected query parameter "offset" to be a whole number from 0 to 1000000000 but received "x"',
    );
  });
});
