/** The two-store code search benchmark, on a few hundred codes, against PGlite (or AESEARCH_TEST_PG_URL). */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { benchPgSearch } from '../../src/bench/pg-search.js';
import { isAesearchError } from '../../src/errors.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import { startPg, type TestPg } from '../helpers/pg.js';

describe('benchPgSearch', () => {
  let db: TestPg;
  before(async () => {
    db = await startPg();
  });
  after(async () => {
    await db?.close();
  });

  it('measures both stores on the same codes and leaves the store as it was', async () => {
    const figures = await benchPgSearch(db.url, { count: 1500, dims: 8, queries: 40 });
    assert.equal(figures.count, 1500);
    assert.equal(figures.queries, 40);
    for (const store of [figures.embedded, figures.postgres]) {
      assert.ok(store.qps > 0);
      assert.ok(store.recall10 >= 0.9 && store.recall10 <= 1, `recall@10 ${store.recall10}`);
    }
    // the row, its b-tree entries and its HNSW node: more than the 8 x 4 bytes of a code, far less than a page
    assert.ok(
      figures.bytesPerItem > 32 && figures.bytesPerItem < 8192,
      `${figures.bytesPerItem} bytes per item`,
    );
    assert.deepEqual(figures.plans.unfiltered, ['aesearch_items_code']);
    // the benchmark's tables lived in their own schema, dropped afterwards: the store has no collection
    await assert.rejects(PgStore.open(db.url), (err) => isAesearchError(err, 'STORE_SCHEMA'));
  });
});
