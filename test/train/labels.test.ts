/** Few-label plumbing: the seeded per-class pick, the held-out score, and keeping the best weights. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { ImageSet } from '../../src/dataset/types.js';
import { BestWeights, heldOutPrecision, pickLabelled } from '../../src/train/labels.js';
import { useTestBackend } from '../helpers/backend.js';

const AREA = 4;

/** 60 images, label i % 3; image i is filled with 10 * label (so its mean tells its class). */
function set(): ImageSet {
  const labels = Int32Array.from({ length: 60 }, (_, i) => i % 3);
  const pixels = new Uint8Array(60 * AREA);
  labels.forEach((l, i) => {
    pixels.fill(10 * l, i * AREA, (i + 1) * AREA);
  });
  return { count: 60, pixels, labels };
}

describe('pickLabelled', () => {
  it('picks N per class, holds some out, and reveals only the picked training labels', () => {
    const s = set();
    const pick = pickLabelled(s, 5, 1, 0.2);
    assert.equal(pick.train.length, 12);
    assert.equal(pick.heldOut.length, 3);
    const all = [...pick.train, ...pick.heldOut];
    assert.equal(new Set(all).size, 15);
    for (const c of [0, 1, 2]) assert.equal(all.filter((i) => s.labels?.[i] === c).length, 5);
    const revealed = [...pick.labelOf.entries()].filter(([, l]) => l >= 0).map(([i]) => i);
    assert.deepEqual(
      revealed.sort((a, b) => a - b),
      [...pick.train].sort((a, b) => a - b),
    );
    for (const i of pick.train) assert.equal(pick.labelOf[i], s.labels?.[i]);
  });

  it('repeats for a seed and changes with it', () => {
    assert.deepEqual(pickLabelled(set(), 4, 7, 0), pickLabelled(set(), 4, 7, 0));
    assert.notDeepEqual(pickLabelled(set(), 4, 7, 0).train, pickLabelled(set(), 4, 8, 0).train);
  });

  it('refuses a dataset without labels', () => {
    assert.throws(
      () => pickLabelled({ ...set(), labels: null }, 5, 1, 0),
      (err: Error & { code?: string }) =>
        err.code === 'BAD_OPTION' &&
        err.message ===
          'Expected --labels-per-class to be used with a labelled dataset but received images without labels',
    );
  });
});

describe('held-out score and best weights', () => {
  before(useTestBackend);

  it('scores 1 when the code separates the classes', async () => {
    const input = tf.input({ shape: [AREA] });
    const mean = tf.layers.dense({ units: 1, kernelInitializer: 'ones', useBias: false }).apply(input);
    const encoder = tf.model({ inputs: input, outputs: mean as tf.SymbolicTensor });
    try {
      const pick = pickLabelled(set(), 10, 1, 0.3);
      assert.equal(await heldOutPrecision(encoder, set(), pick, 5), 1);
    } finally {
      encoder.dispose();
    }
  });

  it('breaks distance ties towards the earlier training image', async () => {
    // every code is 0: each held-out image's 5 nearest are the first 5 training images
    const input = tf.input({ shape: [AREA] });
    const zero = tf.layers.dense({ units: 1, kernelInitializer: 'zeros', useBias: false }).apply(input);
    const encoder = tf.model({ inputs: input, outputs: zero as tf.SymbolicTensor });
    try {
      const s = set();
      const pick = pickLabelled(s, 10, 1, 0.3);
      const first = Array.from(pick.train.subarray(0, 5), (i) => s.labels?.[i]);
      const hits = Array.from(pick.heldOut, (q) => first.filter((l) => l === s.labels?.[q]).length);
      const expected = hits.reduce((a, h) => a + h, 0) / (pick.heldOut.length * 5);
      assert.ok(expected > 0 && expected < 1, `expected ${expected}`);
      assert.equal(await heldOutPrecision(encoder, s, pick, 5), expected);
    } finally {
      encoder.dispose();
    }
  });

  it('keeps the variables of the best score and puts them back', () => {
    const v = tf.variable(tf.scalar(1));
    const best = new BestWeights();
    try {
      assert.equal(best.offer(0.5, 1, [v]), true);
      v.assign(tf.scalar(2));
      assert.equal(best.offer(0.4, 2, [v]), false);
      v.assign(tf.scalar(3));
      best.restore([v]);
      assert.equal(v.dataSync()[0], 1);
      assert.equal(best.epoch, 1);
    } finally {
      best.dispose();
      v.dispose();
    }
  });
});
