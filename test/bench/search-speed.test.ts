import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { recallCurve } from '../../src/bench/recall-curve.js';
import { exactTopK, measureSearch, quantile } from '../../src/bench/search-speed.js';
import { DEFAULT_HNSW, VectorIndex } from '../../src/store/vector-index.js';
import { createRng } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';

function randomVectors(n: number, dims: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n * dims }, () => rng());
}

describe('bench search figures', () => {
  before(useTestBackend);

  it('takes quantiles of sorted values', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(quantile(v, 0.5), 50);
    assert.equal(quantile(v, 0.99), 99);
    assert.equal(quantile([7], 0.99), 7);
    assert.ok(Number.isNaN(quantile([], 0.5)));
  });

  it('finds the exact top k by brute force', async () => {
    const db = Float32Array.from([0, 0, 1, 0, 5, 5, 0.5, 0]);
    const truth = await exactTopK(db, Float32Array.from([0, 0]), 2, 'l2', 2);
    assert.deepEqual([...(truth[0] ?? [])].sort(), [0, 3]);
  });

  it('scores recall 1 for exact answers and less when the truth differs', async () => {
    const db = randomVectors(500, 4, 1);
    const queries = randomVectors(20, 4, 2);
    const index = await VectorIndex.build(db, 4, 'l2', DEFAULT_HNSW);
    const truth = await exactTopK(db, queries, 4, 'l2', 10);
    const exact = measureSearch(index, queries, truth);
    assert.equal(exact.queries, 20);
    assert.ok(exact.recall10 > 0.95, `recall ${exact.recall10}`);
    assert.ok(exact.p99Ms >= exact.p50Ms);
    const wrong = truth.map((s) => new Set([...s].map((id) => (id + 1) % 500)));
    assert.ok(measureSearch(index, queries, wrong).recall10 < 0.5);
  });

  it('measures a recall curve for every build and ef', async () => {
    const db = randomVectors(300, 4, 3);
    const queries = randomVectors(10, 4, 4);
    const truth = await exactTopK(db, queries, 4, 'l2', 10);
    const rows = await recallCurve(db, queries, 4, truth, DEFAULT_HNSW);
    assert.equal(rows.length, 4);
    for (const row of rows) {
      assert.deepEqual(
        row.points.map((p) => p.ef),
        [16, 32, 64, 128],
      );
      assert.ok(row.points.every((p) => p.recall10 >= 0 && p.recall10 <= 1));
    }
  });
});
