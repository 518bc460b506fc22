import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectSmallest } from '../../src/eval/topk.js';
import { createRng } from '../../src/util/rng.js';

/** Reference: full sort by (value, index). */
function bySort(row: number[], k: number): number[] {
  return row
    .map((v, i) => [Number.isNaN(v) ? Number.POSITIVE_INFINITY : v, i] as const)
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
    .slice(0, k)
    .map(([, i]) => i);
}

describe('selectSmallest', () => {
  it('matches a full sort on random rows, for k from 0 to past the length', () => {
    const rng = createRng(7);
    for (let trial = 0; trial < 50; trial++) {
      const row = Array.from({ length: 1 + Math.floor(rng() * 200) }, () => Math.round(rng() * 50) / 10);
      for (const k of [0, 1, 5, 17, 300]) {
        const got = selectSmallest(row, k);
        assert.deepEqual(Array.from(got.ids), bySort(row, k), `trial ${trial}, k ${k}`);
        assert.deepEqual(
          Array.from(got.values),
          bySort(row, k).map((i) => row[i]),
        );
      }
    }
  });

  it('breaks ties by the lower index, wherever the tied values sit', () => {
    const row = [3, 1, 2, 1, 1, 0, 2, 1];
    assert.deepEqual(Array.from(selectSmallest(row, 4).ids), [5, 1, 3, 4]);
    assert.deepEqual(Array.from(selectSmallest(row, 6).ids), [5, 1, 3, 4, 7, 2]);
    assert.deepEqual(Array.from(selectSmallest([5, 5, 5, 5], 2).ids), [0, 1]);
  });

  it('selects within a window of a flat array, with indices relative to the window', () => {
    const flat = [9, 9, 9, 4, 2, 8, 1, 9];
    const got = selectSmallest(flat, 2, 3, 4);
    assert.deepEqual(Array.from(got.ids), [3, 1]);
    assert.deepEqual(Array.from(got.values), [1, 2]);
  });

  it('never prefers NaN to a number', () => {
    assert.deepEqual(Array.from(selectSmallest([Number.NaN, 3, Number.NaN, 1], 3).ids), [3, 1, 0]);
  });
});
