/** The cosine search normalisation: unit, centred codes from the saved encoder; a decoder that takes them. */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { toFloatImages } from '../../src/dataset/float-images.js';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { buildAutoencoder, defaultArchConfig } from '../../src/model/architectures/index.js';
import { codeTransform, withinClassCovariance, withSearchNorm } from '../../src/model/code-norm.js';
import { embedImages } from '../../src/model/encoder.js';
import { loadModel } from '../../src/model/store.js';
import { resolveTrainConfig } from '../../src/train/train-config.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';
import { trainBriefly } from '../helpers/tiny-index.js';

describe('cosine code normalisation', () => {
  let dataset: Dataset;
  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
  });

  it('centres codes for cosine and whitens them, shrunk towards the identity, for whiten', async () => {
    // 4 codes in 2 dims: mean (2, 3); centred rows (-2,-3), (0,-3), (2,3), (0,3)
    const codes = Float32Array.from([0, 0, 2, 0, 4, 6, 2, 6]);
    const cosine = await codeTransform(codes, 4, 'cosine');
    assert.deepEqual(Array.from(cosine.mean), [2, 3]);
    assert.deepEqual(Array.from(cosine.kernel), [1, 0, 0, 1]);
    assert.ok(Math.abs(cosine.norm - (Math.sqrt(13) + 3) / 2) < 1e-9);
    // covariance [[2, 3], [3, 9]]; with no shrinkage the whitened codes have identity covariance
    const white = await codeTransform(codes, 4, 'whiten', { shrink: 0 });
    const k = white.kernel;
    const cov = [2, 3, 3, 9];
    const kck = (i: number, j: number) =>
      [0, 1].reduce(
        (s, a) =>
          s +
          [0, 1].reduce((t, b) => t + (k[a * 2 + i] ?? 0) * (cov[a * 2 + b] ?? 0) * (k[b * 2 + j] ?? 0), 0),
        0,
      );
    assert.ok(Math.abs(kck(0, 0) - 1) < 1e-9 && Math.abs(kck(1, 1) - 1) < 1e-9 && Math.abs(kck(0, 1)) < 1e-9);
    const product = [0, 1, 2, 3].map((e) =>
      [0, 1].reduce(
        (s, m) => s + (k[Math.floor(e / 2) * 2 + m] ?? 0) * (white.inverse[m * 2 + (e % 2)] ?? 0),
        0,
      ),
    );
    assert.ok(
      product.every((v, e) => Math.abs(v - (e === 0 || e === 3 ? 1 : 0)) < 1e-9),
      `K K^-1 = ${product}`,
    );
  });

  it('whitens partly with a power below one half: the mapped covariance is the square root of the covariance at power 1/4', async () => {
    const codes = Float32Array.from([0, 0, 2, 0, 4, 6, 2, 6]);
    const cov = [2, 3, 3, 9];
    const times = (a: readonly number[], b: readonly number[]) =>
      [0, 1, 2, 3].map((e) =>
        [0, 1].reduce((s, m) => s + (a[Math.floor(e / 2) * 2 + m] ?? 0) * (b[m * 2 + (e % 2)] ?? 0), 0),
      );
    const transpose = (a: readonly number[]) => [a[0] ?? 0, a[2] ?? 0, a[1] ?? 0, a[3] ?? 0];
    const quarter = await codeTransform(codes, 4, 'whiten', { shrink: 0, power: 0.25 });
    const k = Array.from(quarter.kernel);
    // the codes' covariance after the map: K^T C K = C^(1 - 2 p) = C^(1/2), whose square is C
    const mapped = times(times(transpose(k), cov), k);
    const squared = times(mapped, mapped);
    assert.ok(
      squared.every((v, e) => Math.abs(v - (cov[e] ?? 0)) < 1e-9),
      `(K^T C K)^2 = ${squared}, C = ${cov}`,
    );
    const identity = times(k, Array.from(quarter.inverse));
    assert.ok(
      identity.every((v, e) => Math.abs(v - (e === 0 || e === 3 ? 1 : 0)) < 1e-9),
      `K K^-1 = ${identity}`,
    );
    // power 0 leaves the centred codes as they are
    const none = await codeTransform(codes, 4, 'whiten', { shrink: 0, power: 0 });
    assert.ok(Array.from(none.kernel).every((v, e) => Math.abs(v - (e === 0 || e === 3 ? 1 : 0)) < 1e-9));
  });

  it('pools the covariance inside each class, weighted by class size', async () => {
    // class 0: (0, 0), (2, 0) -> var x 1; class 1: (5, 5), (5, 7) -> var y 1; equal sizes
    const within = await withinClassCovariance(Float32Array.from([0, 0, 2, 0, 5, 5, 5, 7]), [0, 0, 1, 1]);
    assert.deepEqual(Array.from(within), [0.5, 0, 0, 0.5]);
  });

  for (const codeNorm of ['cosine', 'whiten'] as const) {
    it(`${codeNorm}: saves an encoder of unit, centred codes and a decoder that takes them, without leaks`, async () => {
      const { dir, cleanup } = await tempDir();
      try {
        const before = tf.memory().numTensors;
        await trainBriefly(dir, dataset, { codeSize: 4, hidden: [16], codeNorm, steps: 3 });
        assert.equal(tf.memory().numTensors, before);
        const model = await loadModel(dir);
        const codes = await embedImages(
          model.encoder,
          toFloatImages(dataset.database),
          dataset.database.count,
        );
        const stats = await codeTransform(codes, dataset.database.count, 'cosine');
        for (let r = 0; r < 5; r++) {
          const norm = Math.hypot(...codes.subarray(r * 4, r * 4 + 4));
          assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
        }
        assert.ok(Math.hypot(...stats.mean) < 0.5, `mean ${stats.mean}`);
        const recon = tf.tidy(
          () => (model.decoder.predict(tf.tensor2d(codes.subarray(0, 8), [2, 4])) as tf.Tensor).shape,
        );
        assert.deepEqual(recon, [2, 784]);
        model.encoder.dispose();
        model.decoder.dispose();
      } finally {
        await cleanup();
      }
    });
  }

  it('refuses --whiten-power without whiten, but not a preset whose whiten was overridden', () => {
    const input = { side: 28, channels: 1 } as const;
    assert.throws(
      () => resolveTrainConfig({ codeNorm: 'cosine', whitenPower: 0.2 }, input),
      (err: Error & { code?: string }) =>
        err.code === 'BAD_OPTION' && err.message.includes('--whiten-power') && err.message.includes('cosine'),
    );
    assert.throws(
      () => resolveTrainConfig({ whitenPower: 0.2 }, input),
      (err: Error & { code?: string }) => err.code === 'BAD_OPTION' && err.message.includes('none'),
    );
    assert.equal(resolveTrainConfig({ preset: 'best', codeNorm: 'cosine' }, input).arch.codeNorm, 'cosine');
    assert.equal(resolveTrainConfig({ codeNorm: 'whiten', whitenPower: 0.2 }, input).arch.whitenPower, 0.2);
  });

  it("saves whiten's map with the configured power: power 0 only centres", async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const kernels: number[][] = [];
      for (const whitenPower of [0, 0.5]) {
        await trainBriefly(dir, dataset, {
          codeSize: 4,
          hidden: [16],
          codeNorm: 'whiten',
          whitenPower,
          steps: 2,
        });
        const model = await loadModel(dir);
        assert.equal(model.manifest.arch.whitenPower, whitenPower);
        kernels.push(Array.from(model.encoder.getLayer('code_map').getWeights()[0]?.dataSync() ?? []));
        model.encoder.dispose();
        model.decoder.dispose();
      }
      const [centred, whitened] = kernels;
      assert.equal(centred?.length, 16);
      assert.ok(
        centred?.every((v, e) => Math.abs(v - (e % 5 === 0 ? 1 : 0)) < 1e-6),
        `kernel ${centred}`,
      );
      assert.ok(
        whitened?.some((v, e) => Math.abs(v - (e % 5 === 0 ? 1 : 0)) > 1e-3),
        `kernel ${whitened}`,
      );
    } finally {
      await cleanup();
    }
  });

  it('maps a code back through the mean norm and mean before decoding', async () => {
    const model = buildAutoencoder(defaultArchConfig('dense', { codeSize: 2, hidden: [8] }));
    const set = { ...dataset.database, count: 50, pixels: dataset.database.pixels.subarray(0, 50 * 784) };
    const wrapped = await withSearchNorm(model.encoder, model.decoder, set, 'whiten');
    try {
      const [direct, viaUnit] = tf.tidy(() => {
        const raw = tf.tensor2d([wrapped.transform.mean[0] ?? 0, wrapped.transform.mean[1] ?? 0], [1, 2]);
        const unitZero = tf.tensor2d([0, 0], [1, 2]);
        // a zero unit code decodes as the mean code
        return [model.decoder.predict(raw) as tf.Tensor, wrapped.decoder.predict(unitZero) as tf.Tensor];
      });
      const gap = tf.tidy(
        () =>
          direct
            ?.sub(viaUnit as tf.Tensor)
            .abs()
            .max()
            .dataSync()[0] ?? 1,
      );
      assert.ok(gap < 1e-5, `gap ${gap}`);
      tf.dispose([direct, viaUnit]);
    } finally {
      wrapped.dispose();
      model.dispose();
    }
  });
});
