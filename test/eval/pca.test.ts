import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { fitPca, projectPca } from '../../src/eval/pca.js';
import { createRng, gaussian } from '../../src/util/rng.js';
import { useTestBackend } from '../helpers/backend.js';
import { close, H } from '../helpers/matrices.js';

describe('PCA', () => {
  before(useTestBackend);

  /** 2,000 points in R^4: mean m plus 3·a·H[2] + 1·b·H[0] + 0.1·c·H[1], a, b, c standard normal. */
  function sample(): { data: Float32Array; count: number; dims: number } {
    const rng = createRng(11);
    const normal = () => gaussian(rng);
    const mean = [5, -2, 0.5, 1];
    const count = 2000;
    const data = new Float32Array(count * 4);
    for (let i = 0; i < count; i++) {
      const [a, b, c] = [normal() * 3, normal(), normal() * 0.1];
      for (let j = 0; j < 4; j++)
        data[i * 4 + j] = (mean[j] ?? 0) + a * (H[2]?.[j] ?? 0) + b * (H[0]?.[j] ?? 0) + c * (H[1]?.[j] ?? 0);
    }
    return { data, count, dims: 4 };
  }

  it('recovers the principal axes and variances of data spread along known directions', async () => {
    const before = tf.memory().numTensors;
    const pca = await fitPca(sample(), 2);
    assert.equal(pca.dims, 2);
    close(pca.mean, [5, -2, 0.5, 1], 0.15, 'mean');
    assert.ok(Math.abs((pca.variances[0] ?? 0) - 9) < 0.8, `variance 0: ${pca.variances[0]}`);
    assert.ok(Math.abs((pca.variances[1] ?? 0) - 1) < 0.1, `variance 1: ${pca.variances[1]}`);
    [2, 0].forEach((axis, i) => {
      const v = Array.from(pca.components.subarray(i * 4, i * 4 + 4));
      const dot = v.reduce((a, x, j) => a + x * (H[axis]?.[j] ?? 0), 0);
      assert.ok(Math.abs(Math.abs(dot) - 1) < 1e-3, `component ${i} vs H[${axis}]: ${dot}`);
    });
    assert.ok(pca.explained > 0.99 && pca.explained <= 1, `explained ${pca.explained}`);
    assert.equal(tf.memory().numTensors, before);
  });

  it('projects rows onto the axes: the mean maps to 0, mean + 2·axis to (2, 0)', async () => {
    const pca = await fitPca(sample(), 2);
    const axis = pca.components.subarray(0, 4);
    const rows = Float32Array.from([...pca.mean, ...pca.mean.map((m, j) => m + 2 * (axis[j] ?? 0))]);
    const out = await projectPca(pca, { data: rows, count: 2, dims: 4 });
    close(out.data, [0, 0, 2, 0], 1e-5, 'projection');
    await assert.rejects(projectPca(pca, { data: new Float32Array(3), count: 1, dims: 3 }), {
      name: 'RangeError',
      message: 'Expected 4-d rows for this PCA but got 3-d',
    });
  });
});
