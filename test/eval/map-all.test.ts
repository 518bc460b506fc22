/**
 * mAP over the whole database: the seeded query sample, and the blocked pass against a brute-force
 * ranking of every database item in float64.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { KnnEngine } from '../../src/eval/knn.js';
import { meanAveragePrecisionAll, pickRows, sampleQueries } from '../../src/eval/map-all.js';
import type { VectorSet } from '../../src/eval/vectors.js';
import { createRng } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';

function randomSet(count: number, dims: number, seed: number): VectorSet {
  const rng = createRng(seed);
  return { data: Float32Array.from({ length: count * dims }, () => rng() * 2 - 1), count, dims };
}

/** Mean AP by sorting every database item by its float64 squared distance (the definition, spelt out). */
function bruteForceMap(db: VectorSet, queries: VectorSet, qLabels: number[], dbLabels: number[]): number {
  let total = 0;
  for (let q = 0; q < queries.count; q++) {
    const order = Array.from({ length: db.count }, (_, i) => {
      let d = 0;
      for (let j = 0; j < db.dims; j++)
        d += ((db.data[i * db.dims + j] ?? 0) - (queries.data[q * db.dims + j] ?? 0)) ** 2;
      return [d, i] as const;
    }).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let hits = 0;
    let sum = 0;
    order.forEach(([, id], rank) => {
      if (dbLabels[id] !== qLabels[q]) return;
      hits++;
      sum += hits / (rank + 1);
    });
    total += hits > 0 ? sum / hits : 0;
  }
  return total / queries.count;
}

describe('sampleQueries', () => {
  it('takes every query, in order, when the sample is at least as large', () => {
    assert.deepEqual(Array.from(sampleQueries(5, 5)), [0, 1, 2, 3, 4]);
    assert.deepEqual(Array.from(sampleQueries(3, 1000)), [0, 1, 2]);
  });

  it('draws a seeded sample of distinct queries, ascending, the same every time', () => {
    const sample = Array.from(sampleQueries(1000, 50));
    assert.equal(sample.length, 50);
    assert.equal(new Set(sample).size, 50);
    assert.deepEqual(
      sample,
      [...sample].sort((a, b) => a - b),
    );
    assert.ok(sample.every((q) => q >= 0 && q < 1000));
    assert.deepEqual(Array.from(sampleQueries(1000, 50)), sample);
    assert.notDeepEqual(Array.from(sampleQueries(1000, 50, 2)), sample);
    // not just the first 50
    assert.ok((sample.at(-1) ?? 0) > 500, `last sampled query ${sample.at(-1)}`);
  });
});

describe('meanAveragePrecisionAll', () => {
  before(useTestBackend);

  it('equals the mAP of a float64 brute-force ranking of the whole database, block by block', async () => {
    const db = randomSet(1200, 9, 1);
    const queries = randomSet(40, 9, 2);
    const rng = createRng(3);
    const dbLabels = Array.from({ length: db.count }, () => Math.floor(rng() * 4));
    const qLabels = Array.from({ length: queries.count }, () => Math.floor(rng() * 4));
    const before = tf.memory().numTensors;
    const engine = KnnEngine.create(db, 'l2');
    try {
      const seen: number[] = [];
      const got = await meanAveragePrecisionAll(engine, queries, qLabels, dbLabels, (d) => seen.push(d));
      const want = bruteForceMap(db, queries, qLabels, dbLabels);
      assert.ok(Math.abs(got - want) < 1e-9, `got ${got}, want ${want}`);
      assert.equal(seen.at(-1), 40);
    } finally {
      engine.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });

  it('scores the picked rows of a sample like the same queries given directly', async () => {
    const db = randomSet(300, 5, 4);
    const queries = randomSet(30, 5, 5);
    const labels = Array.from({ length: 300 }, (_, i) => i % 3);
    const qLabels = Array.from({ length: 30 }, (_, i) => i % 3);
    const sample = sampleQueries(30, 7);
    const picked = pickRows(queries, sample);
    const engine = KnnEngine.create(db, 'l2');
    try {
      const got = await meanAveragePrecisionAll(
        engine,
        picked,
        Array.from(sample, (q) => qLabels[q] ?? -1),
        labels,
      );
      const direct = Array.from(sample, (q) => ({ data: pickRows(queries, [q]).data, label: qLabels[q] }));
      let total = 0;
      for (const one of direct)
        total += await meanAveragePrecisionAll(
          engine,
          { ...one, count: 1, dims: 5 },
          [one.label ?? -1],
          labels,
        );
      assert.ok(Math.abs(got - total / direct.length) < 1e-12);
    } finally {
      engine.dispose();
    }
  });
});
