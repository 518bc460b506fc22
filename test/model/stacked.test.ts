/** The stacked autoencoder's schedule: one layer pair per pre-training stage, then the whole stack. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { buildAutoencoder, defaultArchConfig } from '../../src/model/architectures/index.js';
import { trainingFrame } from '../../src/model/architectures/input-steps.js';
import { runAll } from '../../src/model/architectures/layers.js';
import { stackedStage } from '../../src/model/architectures/stacked.js';
import { createLocalRunner } from '../../src/train/step-runner.js';
import { useTestBackend } from '../helpers/backend.js';

const config = defaultArchConfig('stacked', { side: 4, codeSize: 2, hidden: [8, 4], pretrainEpochs: 2 });

function changedLayers(before: Map<string, ArrayLike<number>>, variables: tf.Variable[]): string[] {
  return variables
    .filter((v) => {
      const was = before.get(v.name);
      const now = v.dataSync();
      return !was || Array.from(was).some((x, i) => x !== now[i]);
    })
    .map((v) => v.name.split('/')[0] ?? v.name);
}

describe('stacked autoencoder', () => {
  before(useTestBackend);

  it('pre-trains each of the 3 layers for 2 epochs, then fine-tunes', () => {
    const stages = [1, 2, 3, 4, 5, 6, 7, 8].map((e) => stackedStage(config, e));
    assert.deepEqual(stages, [0, 0, 1, 1, 2, 2, 3, 3]);
  });

  for (const [epoch, expected] of [
    [1, ['enc_0', 'reconstruction']],
    [3, ['enc_1', 'dec_1']],
    [5, ['code', 'dec_0']],
    [7, ['enc_0', 'enc_1', 'code', 'dec_0', 'dec_1', 'reconstruction']],
  ] as const) {
    it(`updates only ${expected.join(', ')} in epoch ${epoch}`, async () => {
      const model = buildAutoencoder(config);
      const optimizer = tf.train.adam(1e-2);
      const runner = createLocalRunner(model, optimizer);
      try {
        model.beginEpoch?.(epoch);
        const before = new Map(model.variables.map((v) => [v.name, v.dataSync().slice()]));
        const x = Float32Array.from({ length: 32 }, (_, i) => (i % 5) / 5);
        await runner.step({ n: 2, input: x, target: x, labels: null });
        assert.deepEqual(new Set(changedLayers(before, model.variables)), new Set(expected));
      } finally {
        model.dispose();
        optimizer.dispose();
      }
    });
  }

  it('pre-trains the first pair on the equalised input against the (already equalised) target', () => {
    const eq = { ...config, side: 8, equalise: true };
    const model = buildAutoencoder(eq);
    const x = tf.tensor2d(
      Float32Array.from({ length: 2 * 64 }, (_, i) => ((i * 7) % 11) / 22),
      [2, 64],
    );
    try {
      model.beginEpoch?.(1);
      const [loss, expected, unframed] = tf.tidy(() => {
        const target = trainingFrame(eq, x);
        const pair = [model.encoder.getLayer('enc_0'), model.decoder.getLayer('reconstruction')];
        return [
          model.loss(x, target, null),
          tf.losses.meanSquaredError(target, runAll(pair, target)),
          tf.losses.meanSquaredError(target, runAll(pair, x)),
        ].map((t) => t.dataSync()[0] ?? Number.NaN);
      });
      assert.ok(Math.abs((loss ?? 0) - (expected ?? 1)) < 1e-7, `loss ${loss}, expected ${expected}`);
      assert.ok(Math.abs((loss ?? 0) - (unframed ?? 0)) > 1e-4, 'the input is equalised before the pair');
    } finally {
      model.dispose();
      x.dispose();
    }
  });
});
