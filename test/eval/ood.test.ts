/**
 * Out-of-distribution figures: the AUROC on hand-computed inputs, the built-in sets (deterministic, and
 * what they claim to be once preprocessed as uploads), and the reconstruction error on a tiny model.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { auroc, reconstructionErrors } from '../../src/eval/ood.js';
import { invertObject, OOD_SETS, oodFiles } from '../../src/eval/ood-sets.js';
import { decodeImage, IDX_FORMAT } from '../../src/image/preprocess.js';
import { type LoadedModel, loadModel } from '../../src/model/store.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

const SIDE = 28;

function spread(gray: Uint8Array): { mean: number; distinct: number } {
  let sum = 0;
  for (const v of gray) sum += v;
  return { mean: sum / gray.length, distinct: new Set(gray).size };
}

describe('auroc', () => {
  it('is 1 for perfect separation, 0 for reversed, 0.5 for equal scores', () => {
    assert.equal(auroc([0.1, 0.2, 0.3], [0.4, 0.9]), 1);
    assert.equal(auroc([0.4, 0.9], [0.1, 0.2, 0.3]), 0);
    assert.equal(auroc([1, 1, 1], [1, 1]), 0.5);
  });

  it('counts ties half, as the Mann-Whitney U does', () => {
    // positive 2: beats 1, ties 2, loses to 3 -> 1.5; positive 4 beats all three -> 3; (1.5 + 3) / 6
    assert.equal(auroc([1, 2, 3], [2, 4]), 0.75);
    assert.equal(auroc([3, 1, 2], [4, 2]), 0.75, 'order does not matter');
    assert.ok(Number.isNaN(auroc([], [1])));
  });
});

describe('built-in out-of-distribution sets', () => {
  const queries = Uint8Array.from({ length: 3 * SIDE * SIDE }, (_, i) =>
    i % SIDE > 8 && i % SIDE < 20 ? 40 + (i % 200) : 0,
  );

  it('are the same files for the same seed', async () => {
    for (const name of OOD_SETS) {
      const a = await oodFiles(name, 3, IDX_FORMAT, queries);
      const b = await oodFiles(name, 3, IDX_FORMAT, queries);
      assert.equal(a.length, 3);
      assert.ok(
        a.every((file, i) => file.equals(b[i] ?? Buffer.alloc(0))),
        name,
      );
      assert.ok(
        !(a[0] ?? Buffer.alloc(0)).equals(a[1] ?? Buffer.alloc(0)) || name === 'inverted',
        `${name} varies`,
      );
    }
  });

  it('look as they claim once preprocessed as uploads', async () => {
    const decoded = async (name: (typeof OOD_SETS)[number]) => {
      const files = await oodFiles(name, 3, IDX_FORMAT, queries);
      return Promise.all(files.map((file) => decodeImage(file, IDX_FORMAT)));
    };
    for (const gray of await decoded('noise')) assert.ok(spread(gray).distinct > 50, 'noise has many levels');
    for (const gray of await decoded('flat')) assert.ok(spread(gray).distinct <= 2, 'flat is one level');
    for (const gray of await decoded('text')) {
      const { mean } = spread(gray);
      assert.ok(mean > 5 && mean < 128, `text is light strokes on dark, mean ${mean}`);
    }
    const inverted = await decoded('inverted');
    assert.deepEqual(inverted[0], invertObject(queries.subarray(0, SIDE * SIDE)));
  });

  it('inverts only the object: the dark background stays dark', () => {
    assert.deepEqual(invertObject(Uint8Array.from([0, 1, 128, 255])), Uint8Array.from([0, 254, 127, 0]));
  });
});

describe('reconstruction error', () => {
  let tiny: TinyIndex;
  let model: LoadedModel;

  before(async () => {
    tiny = await buildTinyIndex();
    model = await loadModel(tiny.indexDir);
  });
  after(async () => {
    model.encoder.dispose();
    model.decoder.dispose();
    await tiny.cleanup();
  });

  it('is the mean squared error of input and reconstruction, one per image, in [0, 1]', () => {
    const area = SIDE * SIDE;
    const two = tiny.dataset.queries.pixels.subarray(0, 2 * area);
    const errors = reconstructionErrors(model, two, SIDE * SIDE);
    assert.equal(errors.length, 2);
    const blank = reconstructionErrors(model, new Uint8Array(area), SIDE * SIDE)[0] ?? -1;
    const full = reconstructionErrors(model, new Uint8Array(area).fill(255), SIDE * SIDE)[0] ?? -1;
    for (const e of [...errors, blank, full]) assert.ok(e >= 0 && e <= 1, `error ${e}`);
    assert.notEqual(blank, full);
    // By hand: the decoder's output for the first query, and the mean of its squared differences.
    const input = Float32Array.from(two.subarray(0, area), (v) => v / 255);
    const recon = tf.tidy(() => {
      const code = model.encoder.predict(tf.tensor2d(input, [1, area])) as tf.Tensor;
      return (model.decoder.predict(code) as tf.Tensor).dataSync();
    });
    let sum = 0;
    for (let i = 0; i < area; i++) sum += ((input[i] ?? 0) - (recon[i] ?? 0)) ** 2;
    assert.ok(Math.abs((errors[0] ?? -1) - sum / area) < 1e-6, `${errors[0]} vs ${sum / area}`);
    assert.equal(
      reconstructionErrors(model, two.subarray(area), SIDE * SIDE)[0],
      errors[1],
      'batching does not change it',
    );
  });
});
