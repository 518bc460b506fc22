import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  averagePrecisionAll,
  knnAccuracy,
  meanAveragePrecisionAtK,
  precisionAtK,
  recallAtK,
} from '../../src/eval/metrics.js';

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

describe('knnAccuracy', () => {
  it('is the share of queries whose label wins the vote of the k nearest', () => {
    // query 0 (class 0), top 4: 0, 1, 1, 0 -> two votes each for 0 and 1; 0 came first: right
    // query 1 (class 1), top 4: 1, 1, 2, 0 -> 1 wins: right
    // query 2 (class 2), top 4: 0, 0, 2, 1 -> 0 wins: wrong
    const votes = { k: 4, count: 3, ids: Int32Array.from([0, 5, 6, 1, 5, 6, 10, 0, 0, 1, 10, 5]) };
    assert.equal(knnAccuracy(votes, [0, 1, 2], dbLabels, 4), 2 / 3);
    // top 1 only: 0 right, 1 right, 2 wrong
    assert.equal(knnAccuracy(votes, [0, 1, 2], dbLabels, 1), 2 / 3);
    // top 3: query 0 -> 0, 1, 1: 1 wins (wrong); query 1 -> 1, 1, 2: right; query 2 -> 0, 0, 2: wrong
    assert.equal(knnAccuracy(votes, [0, 1, 2], dbLabels, 3), 1 / 3);
  });

  it('breaks a tie by the nearest of the tied labels, even when the other drew level first', () => {
    // labels in rank order: 1, 0, 0, 1, 2, 2 -> 1, 0 and 2 have two votes each; 1 is nearest
    const tied = { k: 6, count: 1, ids: Int32Array.from([5, 0, 1, 6, 10, 10]) };
    assert.equal(knnAccuracy(tied, [1], dbLabels, 6), 1);
    assert.equal(knnAccuracy(tied, [0], dbLabels, 6), 0);
    // labels 2, 2, 0, 0 (ids 10 twice): 2 and 0 tie, 2 is nearest
    const later = { k: 4, count: 1, ids: Int32Array.from([10, 10, 0, 1]) };
    assert.equal(knnAccuracy(later, [2], dbLabels, 4), 1);
  });

  it('refuses a k deeper than the neighbours searched', () => {
    assert.throws(() => knnAccuracy(ranking, queryLabels, dbLabels, 5), {
      name: 'RangeError',
      message: 'Expected k from 1 to 4 (the neighbours searched) but got 5',
    });
  });
});

describe('averagePrecisionAll', () => {
  // five items; scores (lower = nearer) rank them 3, 0, 4, 1, 2
  const labels = [1, 0, 1, 1, 0];
  const scores = Float32Array.from([0.2, 0.5, 0.9, 0.1, 0.3]);

  it('averages P@i at the ranks of every relevant item in the whole database', () => {
    // label 1 (items 3, 0, 2): relevant at ranks 1, 2, 5 -> (1/1 + 2/2 + 3/5) / 3
    assert.ok(Math.abs(averagePrecisionAll(scores, 1, labels) - (1 + 1 + 3 / 5) / 3) < 1e-12);
    // label 0 (items 4, 1): relevant at ranks 3, 4 -> (1/3 + 2/4) / 2
    assert.ok(Math.abs(averagePrecisionAll(scores, 0, labels) - (1 / 3 + 2 / 4) / 2) < 1e-12);
    // a label absent from the database scores 0
    assert.equal(averagePrecisionAll(scores, 7, labels), 0);
  });

  it('reads a row at an offset, and ranks an irrelevant item tied with a relevant one first', () => {
    const row = Float32Array.from([9, 9, 0.2, 0.5, 0.9, 0.1, 0.3]);
    assert.equal(averagePrecisionAll(row, 1, labels, 2), averagePrecisionAll(scores, 1, labels));
    // item 1 (label 0) ties with item 0 (label 1) at 0.2: it ranks first, so label 1 is at ranks 1, 3, 5
    const tie = Float32Array.from([0.2, 0.2, 0.9, 0.1, 0.3]);
    assert.ok(Math.abs(averagePrecisionAll(tie, 1, labels) - (1 + 2 / 3 + 3 / 5) / 3) < 1e-12);
  });

  it('scores a perfect ranking 1', () => {
    assert.equal(averagePrecisionAll(Float32Array.from([0, 5, 1, 2, 6]), 1, labels), 1);
  });
});
