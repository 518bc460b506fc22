import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { exactKnn, type KnnResult } from '../../src/eval/knn.js';
import { openExactSearcher } from '../../src/eval/knn-parallel.js';
import type { VectorSet } from '../../src/eval/vectors.js';
import type { Metric } from '../../src/store/vector-index.js';
import { backendInfo } from '../../src/tfjs/backend.js';
import { createRng } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';

function randomSet(count: number, dims: number, seed: number, levels = 0): VectorSet {
  const rng = createRng(seed);
  // levels > 0 quantises values so that exact duplicates and distance ties occur
  const value = () => (levels > 0 ? Math.floor(rng() * levels) / levels : rng() * 2 - 1);
  return { data: Float32Array.from({ length: count * dims }, value), count, dims };
}

/** Brute force in float64: distances to every row, sorted by (distance, id). */
function bruteForce(db: VectorSet, queries: VectorSet, k: number, metric: Metric): KnnResult {
  const row = (s: VectorSet, i: number) => Array.from(s.data.subarray(i * s.dims, (i + 1) * s.dims));
  const norm = (v: number[]) => Math.sqrt(v.reduce((a, x) => a + x * x, 0));
  const ids = new Int32Array(queries.count * k);
  const distances = new Float32Array(queries.count * k);
  for (let q = 0; q < queries.count; q++) {
    const qv = row(queries, q);
    const all = Array.from({ length: db.count }, (_, i) => {
      const xv = row(db, i);
      // squared, summed in dimension order: true ties stay bit-identical, as in the engine
      if (metric === 'l2') return [xv.reduce((a, x, j) => a + (x - (qv[j] ?? 0)) ** 2, 0), i];
      const dot = xv.reduce((a, x, j) => a + x * (qv[j] ?? 0), 0);
      const denom = norm(xv) * norm(qv);
      return [denom > 0 ? 1 - dot / denom : 0.5, i];
    }) as [number, number][];
    all.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    all.slice(0, k).forEach(([d, i], r) => {
      ids[q * k + r] = i;
      distances[q * k + r] = metric === 'l2' ? Math.sqrt(d) : d;
    });
  }
  return { k, count: queries.count, ids, distances };
}

function assertSame(got: KnnResult, want: KnnResult, label: string): void {
  assert.equal(got.k, want.k);
  assert.deepEqual(Array.from(got.ids), Array.from(want.ids), `${label}: ids`);
  for (let i = 0; i < want.distances.length; i++)
    assert.ok(
      Math.abs((got.distances[i] ?? 0) - (want.distances[i] ?? 0)) < 1e-5,
      `${label}: distance ${i}: ${got.distances[i]} vs ${want.distances[i]}`,
    );
}

describe('exact kNN', () => {
  before(useTestBackend);

  for (const metric of ['l2', 'cosine'] as const) {
    it(`matches brute force (${metric}) on random data`, async () => {
      const db = randomSet(700, 23, 1);
      const queries = randomSet(37, 23, 2);
      assertSame(await exactKnn(db, queries, 12, metric), bruteForce(db, queries, 12, metric), metric);
    });

    it(`orders ties by the lower id, with duplicated rows (${metric})`, async () => {
      // quantised values add many more exact ties for l2 (for cosine, parallel rows would tie only up to rounding)
      const base = randomSet(150, 5, 3, metric === 'l2' ? 3 : 0);
      // every row twice: each query has exact ties at every distance
      const db = { data: Float32Array.from([...base.data, ...base.data]), count: 300, dims: 5 };
      const queries = randomSet(20, 5, 4, metric === 'l2' ? 3 : 0);
      assertSame(
        await exactKnn(db, queries, 9, metric),
        bruteForce(db, queries, 9, metric),
        `${metric} ties`,
      );
    });
  }

  it('finds a database row as its own nearest neighbour at distance 0', async () => {
    const db = randomSet(500, 784, 5);
    const queries = { data: db.data.slice(120 * 784, 123 * 784), count: 3, dims: 784 };
    const got = await exactKnn(db, queries, 1, 'l2');
    assert.deepEqual(Array.from(got.ids), [120, 121, 122]);
    assert.ok(Array.from(got.distances).every((d) => d < 1e-6));
  });

  it('clamps k to the database size', async () => {
    const got = await exactKnn(randomSet(4, 3, 6), randomSet(2, 3, 7), 10, 'l2');
    assert.equal(got.k, 4);
    assert.equal(got.ids.length, 8);
  });

  it('gives the same answer on two threads (main + worker) as on one, and leaks no tensors', async () => {
    const db = randomSet(900, 31, 8);
    const queries = randomSet(41, 31, 9);
    const before = tf.memory().numTensors;
    const one = await openExactSearcher(db, 'l2', backendInfo().name, 1);
    const two = await openExactSearcher(db, 'l2', backendInfo().name, 2);
    try {
      assert.equal(two.threads, 2);
      const seen: number[] = [];
      const parallel = await two.search(queries, 15, (done) => seen.push(done));
      assertSame(parallel, await one.search(queries, 15), 'two threads');
      assertSame(parallel, bruteForce(db, queries, 15, 'l2'), 'two threads vs brute force');
      assert.equal(Math.max(...seen), 41);
    } finally {
      await one.dispose();
      await two.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });
});
