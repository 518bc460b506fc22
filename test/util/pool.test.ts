/** The promise pool: results in order, never more than the limit in flight, the first error wins. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { mapWithConcurrency } from '../../src/util/pool.js';

describe('mapWithConcurrency', () => {
  it('keeps at most `concurrency` calls in flight and returns results in list order', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    const items = [5, 1, 4, 2, 3, 0, 6];
    const out = await mapWithConcurrency(items, 3, async (item, index) => {
      started.push(index);
      inFlight++;
      most = Math.max(most, inFlight);
      // later items finish sooner: results must still come back in list order
      for (let t = 0; t < 7 - item; t++) await nextTurn();
      inFlight--;
      return item * 10;
    });
    assert.deepEqual(out, [50, 10, 40, 20, 30, 0, 60]);
    assert.equal(most, 3);
    assert.deepEqual(started, [0, 1, 2, 3, 4, 5, 6]);
  });

  it('resolves an empty list at once, and runs one at a time with concurrency 1', async () => {
    assert.deepEqual(await mapWithConcurrency([], 4, async () => 1), []);
    let inFlight = 0;
    await mapWithConcurrency([1, 2, 3], 1, async () => {
      inFlight++;
      assert.equal(inFlight, 1);
      await nextTurn();
      inFlight--;
    });
  });

  it('rejects with the first error', async () => {
    await assert.rejects(
      mapWithConcurrency([1, 2, 3, 4], 2, async (item) => {
        await nextTurn();
        if (item >= 2) throw new Error(`item ${item} failed`);
        return item;
      }),
      { message: 'item 2 failed' },
    );
  });
});
