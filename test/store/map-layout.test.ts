/**
 * The pieces the index build measures the collection with: the stratified sample, the 2-D layouts (UMAP
 * keeps two clusters apart, PCA lays a line along x) and the percentiles (hand-computed).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  meanSquaredError,
  percentileOf,
  profileSampleIds,
  quantileOf,
} from '../../src/store/error-distribution.js';
import { layoutMap, mapMethodFor, stratifiedSample } from '../../src/store/map-layout.js';
import { createRng, gaussian } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';

describe('stratifiedSample', () => {
  it('keeps each label share (largest remainders) and draws the same ids for the same seed', () => {
    // 600 of label 0, 300 of label 1, 100 unlabelled.
    const labels = new Map<number, number>();
    for (let id = 0; id < 1000; id++) labels.set(id, id < 600 ? 0 : id < 900 ? 1 : -1);
    const sample = stratifiedSample(labels, 101, 7);
    assert.equal(sample.length, 101);
    const count = (label: number) => sample.filter((id) => labels.get(id) === label).length;
    // Exact shares 60.6, 30.3, 10.1: floors 60 + 30 + 10, the one left to the largest remainder (0.6).
    assert.deepEqual([count(0), count(1), count(-1)], [61, 30, 10]);
    assert.deepEqual(
      sample,
      [...sample].sort((a, b) => a - b),
    );
    assert.equal(new Set(sample).size, 101);
    assert.deepEqual(stratifiedSample(labels, 101, 7), sample);
    assert.notDeepEqual(stratifiedSample(labels, 101, 8), sample);
  });

  it('takes every id when there are no more than asked', () => {
    const labels = new Map([
      [5, 0],
      [2, -1],
    ]);
    assert.deepEqual(stratifiedSample(labels, 2, 1), [2, 5]);
    assert.deepEqual([...profileSampleIds([4, 9, 1], 3, 5)], [4, 9, 1]);
    assert.equal(profileSampleIds([...Array(50).keys()], 3, 20).size, 20);
  });
});

describe('layoutMap', () => {
  it('picks UMAP for a thousand points or more of more than two dimensions, else PCA', () => {
    assert.equal(mapMethodFor(1000, 8), 'umap');
    assert.equal(mapMethodFor(999, 8), 'pca');
    assert.equal(mapMethodFor(5000, 2), 'pca');
  });

  it('lays points on a line along x by PCA, scaled into [0, 1] and centred on y', async () => {
    await useTestBackend();
    // (t, 2t, -t) for t = 0..4: one principal axis.
    const rows = Float32Array.from([0, 1, 2, 3, 4].flatMap((t) => [t, 2 * t, -t]));
    const { method, xy } = await layoutMap(rows, 3, 1);
    assert.equal(method, 'pca');
    const xs = [0, 1, 2, 3, 4].map((i) => xy[i * 2] ?? -1);
    const ys = [0, 1, 2, 3, 4].map((i) => xy[i * 2 + 1] ?? -1);
    const ascending = (xs[0] ?? 0) < (xs[4] ?? 0);
    const expected = ascending ? [0, 0.25, 0.5, 0.75, 1] : [1, 0.75, 0.5, 0.25, 0];
    xs.forEach((x, i) => {
      assert.ok(Math.abs(x - (expected[i] ?? 0)) < 1e-5, `x ${xs}`);
    });
    for (const y of ys) assert.ok(Math.abs(y - 0.5) < 1e-5, `y ${ys}`);
  });

  it('keeps two clusters apart by UMAP (seeded: the same layout twice)', async () => {
    const rng = createRng(4);
    const dims = 6;
    const rows = new Float32Array(80 * dims);
    for (let r = 0; r < 80; r++)
      for (let j = 0; j < dims; j++) rows[r * dims + j] = (r < 40 ? 0 : 10) + 0.3 * gaussian(rng);
    const first = await layoutMap(rows, dims, 11, 'umap');
    assert.equal(first.method, 'umap');
    const centre = (from: number) => {
      let x = 0;
      let y = 0;
      for (let r = from; r < from + 40; r++) {
        x += (first.xy[r * 2] ?? 0) / 40;
        y += (first.xy[r * 2 + 1] ?? 0) / 40;
      }
      return { x, y };
    };
    const [a, b] = [centre(0), centre(40)];
    assert.ok(Math.hypot(a.x - b.x, a.y - b.y) > 0.3, `centres ${JSON.stringify([a, b])}`);
    for (const v of first.xy) assert.ok(v >= 0 && v <= 1);
    assert.deepEqual((await layoutMap(rows, dims, 11, 'umap')).xy, first.xy);
  });
});

describe('error distribution', () => {
  it('places a value among sorted errors as a percentile (ties half) and interpolates quantiles', () => {
    const sorted = Float32Array.from([1, 2, 2, 4]);
    assert.equal(percentileOf(sorted, 0.5), 0);
    assert.equal(percentileOf(sorted, 2), 50, 'one below, two tied: (1 + 1) / 4');
    assert.equal(percentileOf(sorted, 3), 75);
    assert.equal(percentileOf(sorted, 9), 100);
    assert.equal(percentileOf(new Float32Array(0), 1), null);
    assert.equal(quantileOf(sorted, 0), 1);
    assert.equal(quantileOf(sorted, 50), 2);
    assert.equal(quantileOf(sorted, 100), 4);
    assert.equal(quantileOf(Float32Array.from([1, 2, 2, 4, 6]), 62.5), 3, 'halfway between 2 and 4');
    assert.equal(quantileOf(new Float32Array(0), 50), null);
    assert.equal(meanSquaredError([0, 1, 0.5], [0, 0, 0.5]), 1 / 3);
    assert.throws(
      () => meanSquaredError([1], [1, 2]),
      /Expected two arrays of one non-zero length but got 1 and 2/,
    );
  });
});
