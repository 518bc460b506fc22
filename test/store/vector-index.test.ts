import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAesearchError } from '../../src/errors.js';
import { DEFAULT_HNSW, VectorIndex } from '../../src/store/vector-index.js';
import { tempDir } from '../helpers/fixtures.js';

// five points in 2-d: distances from (0,0) are 0, 1, 2, 5 (3-4-5), 10
const points = Float32Array.from([0, 0, 1, 0, 0, 2, 3, 4, 6, 8]);
const params = { ...DEFAULT_HNSW, efConstruction: 20, efSearch: 10 };

describe('VectorIndex', () => {
  it('finds hand-computed neighbours with true (not squared) L2 distances, nearest first', async () => {
    const index = await VectorIndex.build(points, 2, 'l2', params);
    const found = index.search([0, 0], 3);
    assert.deepEqual(found.ids, [0, 1, 2]);
    assert.deepEqual(found.distances, [0, 1, 2]);
    const far = index.search([3, 4], 2);
    assert.deepEqual(far.ids, [3, 2]);
    assert.ok(Math.abs((far.distances[1] ?? 0) - Math.sqrt(9 + 4)) < 1e-6);
  });

  it('returns every item when k exceeds the count, instead of throwing', async () => {
    const index = await VectorIndex.build(points, 2, 'l2', params);
    const found = index.search([6, 8], 50);
    assert.deepEqual(found.ids, [4, 3, 2, 1, 0]);
    assert.equal(found.distances[0], 0);
    assert.equal(found.distances[4], 10);
  });

  it('with a filter, returns k accepted ids (the accepted ones nearest), not fewer', async () => {
    // 3000 points on a line at 0..2999; every 100th accepted, so hnswlib must walk past 99 rejects per find.
    const line = Float32Array.from({ length: 6000 }, (_, i) => (i % 2 === 0 ? i / 2 : 0));
    const index = await VectorIndex.build(line, 2, 'l2', params);
    const accepted = (id: number) => id % 100 === 0;
    const found = index.search([1234, 0], 5, accepted);
    assert.deepEqual(found.ids, [1200, 1300, 1100, 1400, 1000]);
    assert.deepEqual(found.distances, [34, 66, 134, 166, 234]);
    const all = index.search([0, 0], 50, accepted);
    assert.equal(all.ids.length, 30, 'every one of the 30 accepted ids when k exceeds them');
    assert.ok(all.ids.every(accepted));
  });

  it('measures cosine distance as 1 - cos', async () => {
    const index = await VectorIndex.build(Float32Array.from([1, 0, 0, 1, 1, 1]), 2, 'cosine', params);
    const found = index.search([2, 0], 3);
    assert.deepEqual(found.ids, [0, 2, 1]);
    assert.ok(Math.abs((found.distances[1] ?? 0) - (1 - Math.SQRT1_2)) < 1e-6);
    assert.ok(Math.abs((found.distances[2] ?? 0) - 1) < 1e-6);
  });

  it('survives a save and load round trip', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const index = await VectorIndex.build(points, 2, 'l2', params);
      await index.save(join(dir, 'a.hnsw'));
      const loaded = await VectorIndex.open(join(dir, 'a.hnsw'), 2, 'l2', 10, 5);
      assert.deepEqual(loaded.search([1, 1], 5), index.search([1, 1], 5));
    } finally {
      await cleanup();
    }
  });

  it('refuses a corrupt file or a count mismatch, naming the file', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const index = await VectorIndex.build(points, 2, 'l2', params);
      await index.save(join(dir, 'a.hnsw'));
      await assert.rejects(
        VectorIndex.open(join(dir, 'a.hnsw'), 2, 'l2', 10, 6),
        (err) =>
          isAesearchError(err, 'INDEX_CORRUPT') &&
          err.message.startsWith(
            `${join(dir, 'a.hnsw')} cannot be loaded (it holds 5 items, the manifest says 6)`,
          ),
      );
      await writeFile(join(dir, 'b.hnsw'), 'garbage');
      await assert.rejects(VectorIndex.open(join(dir, 'b.hnsw'), 2, 'l2', 10, 5), (err) =>
        isAesearchError(err, 'INDEX_CORRUPT'),
      );
    } finally {
      await cleanup();
    }
  });
});
