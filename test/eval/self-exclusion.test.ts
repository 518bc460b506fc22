/** Dropping a query's own database item from its neighbours. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averagePrecisionAll } from '../../src/eval/metrics.js';
import { depthWithSelf, withoutSelf } from '../../src/eval/self-exclusion.js';

describe('withoutSelf', () => {
  const found = {
    k: 3,
    count: 2,
    ids: Int32Array.from([7, 1, 2, 4, 5, 6]),
    distances: Float32Array.from([0, 1, 2, 3, 4, 5]),
  };

  it('drops each query id wherever it ranks, keeping `depth` ids and their distances', () => {
    const out = withoutSelf(found, Int32Array.from([7, 9]), 2);
    assert.equal(out.k, 2);
    assert.deepEqual([...out.ids], [1, 2, 4, 5]);
    assert.deepEqual([...(out.distances ?? [])], [1, 2, 3, 4]);
  });

  it('leaves rankings alone without database ids, and asks one more neighbour with them', () => {
    assert.equal(withoutSelf(found, undefined, 3), found);
    assert.equal(depthWithSelf(10, undefined), 10);
    assert.equal(depthWithSelf(10, Int32Array.from([0])), 11);
  });
});

describe('averagePrecisionAll with the query item skipped', () => {
  it('ranks the rest as if the item were absent', () => {
    // item 0 (the query itself, score 0) and item 2 have the label; item 1 ranks between them
    const scores = Float32Array.from([0, 1, 2]);
    const labels = [5, 3, 5];
    assert.equal(averagePrecisionAll(scores, 5, labels), (1 + 2 / 3) / 2);
    assert.equal(averagePrecisionAll(scores, 5, labels, 0, 0), 0.5);
  });
});
