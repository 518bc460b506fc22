/**
 * Out-of-distribution figures: the AUROC on hand-computed inputs, the built-in sets (deterministic, and
 * what they claim to be once preprocessed as uploads), and on a tiny model the collection's profile (as
 * the index keeps it), the unusual-query score and the reconstruction error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { auroc, databaseProfile, scoreImages } from '../../src/eval/ood.js';
import { invertObject, OOD_SETS, oodFiles } from '../../src/eval/ood-sets.js';
import { decodeImage, IDX_FORMAT } from '../../src/image/preprocess.js';
import { type LoadedModel, loadModel } from '../../src/model/store.js';
import { type UnusualProfile, unusualFeatures, unusualScore } from '../../src/store/unusual-score.js';
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

describe('unusual-query score and reconstruction error in the eval', () => {
  let tiny: TinyIndex;
  let model: LoadedModel;
  let profile: UnusualProfile;

  before(async () => {
    tiny = await buildTinyIndex();
    model = await loadModel(tiny.indexDir);
    profile = await databaseProfile(model, tiny.dataset.database, IDX_FORMAT);
  });
  after(async () => {
    model.encoder.dispose();
    model.decoder.dispose();
    await tiny.cleanup();
  });

  it('measures the collection as `aesearch index` does: the profile kept with the index', async () => {
    const service = await tiny.open();
    try {
      const built = service.source.unusual;
      assert.ok(built);
      assert.equal(profile.scores.length, tiny.dataset.database.count, 'every item of a small collection');
      assert.equal(built.scores.length, profile.scores.length);
      profile.features.forEach((sorted, f) => {
        sorted.forEach((v, i) => {
          const b = built.features[f]?.[i] ?? Number.NaN;
          assert.ok(Math.abs(v - b) <= 1e-5 * Math.abs(b), `feature ${f} item ${i}: ${v} vs ${b}`);
        });
      });
      const off = Math.max(...Array.from(profile.scores, (v, i) => Math.abs(v - (built.scores[i] ?? 0))));
      assert.ok(off < 1e-3, `scores differ by up to ${off}`);
    } finally {
      await service.close();
    }
  });

  it("scores each image by its features among the collection's and measures its mean squared error", async () => {
    const area = SIDE * SIDE;
    const two = tiny.dataset.queries.pixels.subarray(0, 2 * area);
    const { scores, errors } = await scoreImages(model, profile, two, IDX_FORMAT);
    assert.equal(scores.length, 2);
    // By hand: the decoder's output for the first query, its squared error and its features' score.
    const input = Float32Array.from(two.subarray(0, area), (v) => v / 255);
    const recon = tf.tidy(() => {
      const code = model.encoder.predict(tf.tensor2d(input, [1, area])) as tf.Tensor;
      return (model.decoder.predict(code) as tf.Tensor).dataSync();
    });
    let sum = 0;
    for (let i = 0; i < area; i++) sum += ((input[i] ?? 0) - (recon[i] ?? 0)) ** 2;
    assert.ok(Math.abs((errors[0] ?? -1) - sum / area) < 1e-6, `${errors[0]} vs ${sum / area}`);
    const features = unusualFeatures(two.subarray(0, area), recon, IDX_FORMAT);
    assert.equal(scores[0], unusualScore(profile, features));
    const second = await scoreImages(model, profile, two.subarray(area), IDX_FORMAT);
    assert.deepEqual(
      [second.scores[0], second.errors[0]],
      [scores[1], errors[1]],
      'batching does not change it',
    );
  });

  it('scores a flat image above every item though its error is no larger than some items', async () => {
    const area = SIDE * SIDE;
    // Two items, then a flat dark gray (90 of 255).
    const gray = new Uint8Array(3 * area).fill(90);
    gray.set(tiny.dataset.database.pixels.subarray(0, 2 * area));
    const { scores, errors } = await scoreImages(model, profile, gray, IDX_FORMAT);
    assert.equal(scores[2], 100);
    assert.ok((scores[0] ?? 100) < 100 && (scores[1] ?? 100) < 100, `items score ${scores[0]}, ${scores[1]}`);
    assert.ok((errors[2] ?? 1) < Math.max(errors[0] ?? 0, errors[1] ?? 0), `errors ${[...errors]}`);
  });
});
