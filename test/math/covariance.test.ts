/** Means, scatter, covariance and trace, against sums done by hand. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { columnMeans, covariance, scatterMatrix, trace } from '../../src/math/covariance.js';
import { createRng } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';
import { close } from '../helpers/matrices.js';

describe('covariance', () => {
  before(useTestBackend);

  it('computes the sample covariance with tfjs products', async () => {
    const set = { data: Float32Array.from([1, 2, 3, 4, 5, 9]), count: 3, dims: 2 };
    const cov = await covariance(set, Float64Array.from([3, 5]));
    // x: 1, 3, 5 (var 4); y: 2, 4, 9 (var 13); cov(x, y) = ((-2)(-3) + 0 + 2·4) / 2 = 7
    close(cov, [4, 7, 7, 13], 1e-5, 'covariance');
  });

  it('takes column means, the scatter, the population covariance and the trace of the same rows', async () => {
    const set = { data: Float32Array.from([1, 2, 3, 4, 5, 9]), count: 3, dims: 2 };
    const mean = columnMeans(set);
    close(mean, [3, 5], 1e-12, 'mean');
    close(await scatterMatrix(set, mean), [8, 14, 14, 26], 1e-5, 'scatter');
    const population = await covariance(set, mean, { population: true });
    close(population, [8 / 3, 14 / 3, 14 / 3, 26 / 3], 1e-5, 'population covariance');
    assert.equal(trace(population, 2), (population[0] ?? 0) + (population[3] ?? 0));
    assert.deepEqual(Array.from(columnMeans({ data: new Float32Array(0), count: 0, dims: 2 })), [0, 0]);
  });

  it('sums blocks of 8,192 rows in float64 and reports rows done, without leaking tensors', async () => {
    const rng = createRng(4);
    const count = 8192 + 100;
    const set = { data: Float32Array.from({ length: count * 3 }, () => rng()), count, dims: 3 };
    const mean = columnMeans(set);
    const expected = new Float64Array(9);
    for (let r = 0; r < count; r++)
      for (let i = 0; i < 3; i++)
        for (let j = 0; j < 3; j++)
          expected[i * 3 + j] =
            (expected[i * 3 + j] ?? 0) +
            ((set.data[r * 3 + i] ?? 0) - (mean[i] ?? 0)) * ((set.data[r * 3 + j] ?? 0) - (mean[j] ?? 0));
    const before = tf.memory().numTensors;
    const done: number[] = [];
    const cov = await covariance(set, mean, { onProgress: (n) => done.push(n) });
    assert.deepEqual(done, [8192, count]);
    close(
      cov,
      expected.map((x) => x / (count - 1)),
      1e-5,
      'covariance',
    );
    assert.equal(tf.memory().numTensors, before);
  });
});
