/**
 * Near-duplicate grouping on hand-computed points: single linkage within D, diameters, order, exact
 * groups, and the default D (the largest distance of a pair).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultMaxDistance, groupDuplicates, type NeighbourEdge } from '../../src/search/duplicates.js';

// Points on a line: 1 and 2 are 0.1 apart, 2 and 3 0.15 (a chain 1-2-3 of diameter 0.25), 7 and 8 0.05.
const X = new Map([
  [1, 0],
  [2, 0.1],
  [3, 0.25],
  [5, 2],
  [7, 5],
  [8, 5.05],
]);
const distance = (a: number, b: number) => Math.abs((X.get(a) ?? 0) - (X.get(b) ?? 0));
const edge = (a: number, b: number): NeighbourEdge => ({ a, b, distance: distance(a, b) });
const edges = [edge(1, 2), edge(2, 3), edge(1, 3), edge(3, 5), edge(7, 8), edge(5, 7)];
const measures = { distance, sameInput: (a: number, b: number) => a + b === 15 };

describe('groupDuplicates', () => {
  it('joins neighbours within D by chains, closest group first, with its diameter', () => {
    const groups = groupDuplicates({ edges }, 0.2, measures);
    assert.deepEqual(
      groups.map((g) => g.ids),
      [
        [7, 8],
        [1, 2, 3],
      ],
    );
    assert.ok(Math.abs((groups[0]?.distance ?? 0) - 0.05) < 1e-9);
    assert.ok(Math.abs((groups[1]?.distance ?? 0) - 0.25) < 1e-9);
    assert.deepEqual(
      groups.map((g) => g.exact),
      [true, false],
    );
  });

  it('leaves pairs farther than D apart, and groups nothing at D = 0 without identical codes', () => {
    assert.deepEqual(
      groupDuplicates({ edges }, 0.12, measures).map((g) => g.ids),
      [
        [7, 8],
        [1, 2],
      ],
    );
    assert.deepEqual(groupDuplicates({ edges }, 0, measures), []);
  });
});

describe('defaultMaxDistance', () => {
  it('is the largest code distance of the pairs, 0 without pairs', () => {
    assert.ok(Math.abs(defaultMaxDistance({ edges }) - 3) < 1e-12);
    assert.equal(defaultMaxDistance({ edges: [edge(7, 8)] }), distance(7, 8));
    assert.equal(defaultMaxDistance({ edges: [] }), 0);
  });
});
