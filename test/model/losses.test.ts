/** The shared loss terms and max-unpooling, on hand-computed inputs. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ntXentLoss, supConLoss, vicregLoss } from '../../src/model/architectures/losses.js';
import { maxPositions, maxUnpool } from '../../src/model/architectures/unpool.js';
import { useTestBackend } from '../helpers/backend.js';

function value(f: () => tf.Scalar): number {
  return tf.tidy(() => f().dataSync()[0] ?? Number.NaN);
}

describe('loss terms', () => {
  before(useTestBackend);

  it('vicreg is 0 for identical views of decorrelated unit-spread codes, and grows when views differ', () => {
    // views of 4 images in 2 dims: rows 2i and 2i+1 equal; each dim has std 2/sqrt(3) >= 1, no covariance
    const same = [2, 0, 2, 0, -2, 0, -2, 0, 0, 2, 0, 2, 0, -2, 0, -2];
    assert.ok(Math.abs(value(() => vicregLoss(tf.tensor2d(same, [8, 2])))) < 1e-6);
    const moved = same.map((v, i) => (i % 4 === 2 ? v + 1 : v));
    assert.ok(value(() => vicregLoss(tf.tensor2d(moved, [8, 2]))) > 0.1);
  });

  it('vicreg penalises collapsed codes through the variance hinge', () => {
    const collapsed = new Array(16).fill(0.5);
    // every dim has std ~0: hinge ~1 per view, 2 in all
    assert.ok(Math.abs(value(() => vicregLoss(tf.tensor2d(collapsed, [8, 2]))) - 2) < 0.02);
  });

  it('nt-xent is low when each view points at its partner and high when it points at another image', () => {
    const good = tf.tensor2d([1, 0, 1, 0, 0, 1, 0, 1], [4, 2]);
    const bad = tf.tensor2d([1, 0, 0, 1, 0, 1, 1, 0], [4, 2]);
    const t = 0.1;
    // partner similarity 1 vs others 0: -log(e^10 / (e^10 + 2)) for each anchor
    const expected = -Math.log(Math.exp(10) / (Math.exp(10) + 2));
    assert.ok(Math.abs(value(() => ntXentLoss(good, t)) - expected) < 1e-4);
    assert.ok(value(() => ntXentLoss(bad, t)) > 5);
    tf.dispose([good, bad]);
  });

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
