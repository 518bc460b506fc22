/** The label loss term and max-unpooling, on hand-computed inputs. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { supConLoss } from '../../src/model/architectures/losses.js';
import { maxPositions, maxUnpool } from '../../src/model/architectures/unpool.js';
import { useTestBackend } from '../helpers/backend.js';

function value(f: () => tf.Scalar): number {
  return tf.tidy(() => f().dataSync()[0] ?? Number.NaN);
}

describe('label loss term', () => {
  before(useTestBackend);

  it('supervised contrastive uses labelled rows only', () => {
    const codes = tf.tensor2d([1, 0, 1, 0, 0, 1, 0, 1, 1, 0], [5, 2]);
    const labels = tf.tensor1d([0, 0, 1, 1, -1], 'int32');
    // the unlabelled row (1, 0) would double class 0's denominators if it counted; it does not
    const expected = -Math.log(Math.exp(10) / (Math.exp(10) + 2));
    assert.ok(Math.abs(value(() => supConLoss(codes, labels, 0.1)) - expected) < 1e-4);
    const none = tf.tensor1d([-1, -1, -1, -1, -1], 'int32');
    assert.equal(Math.abs(value(() => supConLoss(codes, none, 0.1))), 0);
    tf.dispose([codes, labels, none]);
  });
});

describe('max-unpooling', () => {
  before(useTestBackend);
  // no ties: backends break them differently (wasm keeps the last maximum, cpu the first)
  const pre = () => tf.tensor4d([1, 5, 2, 0, 3, 2, 8, 1, 0, 0, 4, 5, 9, 1, 4, 3], [1, 4, 4, 1]);

  it('marks the maximum of each 2x2 window', () => {
    const mask = tf.tidy(() => Array.from(maxPositions(pre()).dataSync()));
    assert.deepEqual(mask, [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0]);
  });

  it('puts each value back at its maximum and sends gradients only from there', () => {
    const [out, grad] = tf.tidy(() => {
      const y = tf.tensor4d([10, 20, 30, 40], [1, 2, 2, 1]);
      const weights = tf.range(1, 17).reshape([1, 4, 4, 1]);
      const f = (v: tf.Tensor) =>
        maxUnpool(v as tf.Tensor4D, pre())
          .mul(weights)
          .sum();
      return [Array.from(maxUnpool(y, pre()).dataSync()), Array.from(tf.grad(f)(y).dataSync())];
    });
    assert.deepEqual(out, [0, 10, 0, 0, 0, 0, 20, 0, 0, 0, 0, 40, 30, 0, 0, 0]);
    // d/dy = the weight at each window's maximum: positions 1, 6, 12, 11 hold weights 2, 7, 13, 12
    assert.deepEqual(grad, [2, 7, 13, 12]);
  });
});
