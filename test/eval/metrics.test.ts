import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { meanAveragePrecisionAtK, precisionAtK, recallAtK } from '../../src/eval/metrics.js';

// Database labels: ids 0-4 are class 0, ids 5-9 class 1, id 10 class 2.
const dbLabels = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2];
const ranking = {
  k: 4,
  count: 2,
  // query 0 (class 0): relevant, not, relevant, not; query 1 (class 1): not, not, not, relevant
  ids: Int32Array.from([0, 5, 1, 10, 0, 1, 10, 6]),
};
const queryLabels = [0, 1];

describe('precisionAtK', () => {
  it('is the share of same-label neighbours in the top k, averaged over queries', () => {
    assert.equal(precisionAtK(ranking, queryLabels, dbLabels, 1), (1 + 0) / 2);
    assert.equal(precisionAtK(ranking, queryLabels, dbLabels, 2), (1 / 2 + 0) / 2);
    assert.equal(precisionAtK(ranking, queryLabels, dbLabels, 4), (2 / 4 + 1 / 4) / 2);
  });

  it('refuses a k deeper than the neighbours searched', () => {
    assert.throws(() => precisionAtK(ranking, queryLabels, dbLabels, 5), {
      name: 'RangeError',
      message: 'Expected k from 1 to 4 (the neighbours searched) but got 5',
    });
  });
});

describe('meanAveragePrecisionAtK', () => {
  it('averages P@i at the relevant ranks, divided by min(k, relevant items in the database)', () => {
    // query 0: relevant at ranks 1 and 3 -> (1/1 + 2/3) / min(4, 5) = (5/3) / 4
    // query 1: relevant at rank 4 -> (1/4) / 4
    const expected = ((1 + 2 / 3) / 4 + 1 / 4 / 4) / 2;
    assert.ok(Math.abs(meanAveragePrecisionAtK(ranking, queryLabels, dbLabels, 4) - expected) < 1e-12);
    // at k = 2: query 0 -> (1/1) / 2, query 1 -> 0
    assert.ok(Math.abs(meanAveragePrecisionAtK(ranking, queryLabels, dbLabels, 2) - 0.25) < 1e-12);
  });

  it('scores a perfect ranking 1 even when the class has fewer items than k', () => {
    const perfect = { k: 3, count: 1, ids: Int32Array.from([10, 0, 5]) };
    // class 2 has one item: normaliser min(3, 1) = 1, and it is ranked first
    assert.equal(meanAveragePrecisionAtK(perfect, [2], dbLabels, 3), 1);
    // a class absent from the database scores 0
    assert.equal(meanAveragePrecisionAtK(perfect, [7], dbLabels, 3), 0);
  });
});

describe('recallAtK', () => {
  it('is the share of the exact top k found by the approximate top k', () => {
    const exact = { k: 3, count: 2, ids: Int32Array.from([1, 2, 3, 4, 5, 6]) };
    const approx = { k: 3, count: 2, ids: Int32Array.from([3, 2, 9, 6, 5, 4]) };
    assert.equal(recallAtK(approx, exact, 3), 5 / 6);
    assert.equal(recallAtK(approx, exact, 1), (0 + 0) / 2);
    assert.equal(recallAtK(exact, exact, 3), 1);
  });
});
