/**
 * Self-training: labels spread over the code kNN graph, the confident share of each class kept, the
 * learning rate of the self-training epochs, and a run whose last epochs learn from pseudo-labels.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { ImageSet } from '../../src/dataset/types.js';
import { exactKnn } from '../../src/eval/knn.js';
import { vectorSet } from '../../src/eval/vectors.js';
import { pickLabelled } from '../../src/train/labels.js';
import { learningRateAt, phasedLearningRate, SELF_TRAIN_RATE } from '../../src/train/lr-schedule.js';
import {
  confidentShare,
  estimatePseudoLabels,
  type Propagated,
  propagateLabels,
} from '../../src/train/pseudo-labels.js';
import { resolveTrainConfig } from '../../src/train/train-config.js';
import { type PseudoLabelInfo, runTraining } from '../../src/train/train-run.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, type TempDir, tempDir } from '../helpers/fixtures.js';

/** 2-d points on two arcs of the circle (class 0 near angle 0, class 1 near angle pi/2), 20 each. */
function arcs(): { points: Float32Array; labels: Int32Array } {
  const points = new Float32Array(40 * 2);
  const labels = new Int32Array(40);
  for (let i = 0; i < 40; i++) {
    const cls = i % 2;
    const angle = cls * (Math.PI / 2) + (Math.floor(i / 2) / 19 - 0.5) * 0.6;
    points[2 * i] = Math.cos(angle);
    points[2 * i + 1] = Math.sin(angle);
    labels[i] = cls;
  }
  return { points, labels };
}

describe('propagateLabels', () => {
  before(useTestBackend);

  it('spreads one seed per class along each arc, and leaves an unreachable point unlabelled', async () => {
    const { points, labels } = arcs();
    const rows = vectorSet(points, 2);
    const knn = await exactKnn(rows, rows, 4, 'cosine');
    const out = propagateLabels(knn, { indices: [0, 1], labels: [0, 1] }, 2);
    assert.deepEqual(Array.from(out.label), Array.from(labels));
    for (const c of out.confidence) assert.ok(c > 0.5, `confidence ${c}`);
    // no seed of class 1 on the class-0 arc's graph: all of it goes to class 0 with full confidence
    const one = propagateLabels(knn, { indices: [0], labels: [0] }, 2);
    for (let i = 0; i < 40; i += 2) assert.equal(one.confidence[i], 1);
    for (let i = 1; i < 40; i += 2) assert.equal(one.confidence[i], 0);
  });
});

describe('confidentShare', () => {
  it('keeps the most confident share of each class, never an unreached image', () => {
    const propagated: Propagated = {
      label: Int32Array.from([0, 0, 0, 0, 1, 1, 1, 1, 1]),
      confidence: Float32Array.from([0.9, 0.8, 0.7, 0.6, 0.55, 0.54, 0.53, 0.52, 0]),
    };
    // half of class 0 (2 of 4) and half of class 1's 4 reached ones (2): the low class keeps its own best
    assert.deepEqual(Array.from(confidentShare(propagated, 2, 0.5)), [0, 1, 4, 5]);
    assert.deepEqual(Array.from(confidentShare(propagated, 2, 1)), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(Array.from(confidentShare(propagated, 2, 0)), []);
  });
});

describe('phasedLearningRate', () => {
  it('anneals the first epochs over their own count, then restarts at the self-training rate', () => {
    assert.equal(phasedLearningRate(0.01, 'cosine', 2, 6, 0), learningRateAt(0.01, 'cosine', 2, 6));
    assert.equal(phasedLearningRate(0.01, 'cosine', 2, 6, 2), learningRateAt(0.01, 'cosine', 2, 4));
    assert.equal(phasedLearningRate(0.01, 'cosine', 5, 6, 2), 0.01 * SELF_TRAIN_RATE);
    assert.equal(
      phasedLearningRate(0.01, 'cosine', 6, 6, 2),
      learningRateAt(0.01 * SELF_TRAIN_RATE, 'cosine', 2, 2),
    );
    assert.equal(phasedLearningRate(0.01, 'none', 6, 6, 2), 0.01 * SELF_TRAIN_RATE);
  });
});

describe('estimatePseudoLabels', () => {
  before(useTestBackend);

  it("labels a separable set from a few picked labels, right, and keeps the picked ones' true labels", async () => {
    // 60 images of 4 pixels, class i % 3: the class's pixel is bright, with a little per-image variation
    const labels = Int32Array.from({ length: 60 }, (_, i) => i % 3);
    const pixels = new Uint8Array(60 * 4);
    labels.forEach((l, i) => {
      pixels.fill(20 + (i % 7), i * 4, (i + 1) * 4);
      pixels[i * 4 + l] = 200 + (i % 11);
    });
    const set: ImageSet = { count: 60, pixels, labels };
    const input = tf.input({ shape: [4] });
    const same = tf.layers.dense({ units: 4, kernelInitializer: 'identity', useBias: false }).apply(input);
    const encoder = tf.model({ inputs: input, outputs: same as tf.SymbolicTensor });
    try {
      const pick = pickLabelled(set, 3, 1, 1 / 3);
      const out = await estimatePseudoLabels(encoder, set, pick, 4, 0.5);
      assert.equal(out.perBatch, 4);
      for (const i of pick.train) assert.equal(out.labelOf[i], labels[i]);
      const labelled = Array.from(out.labelOf.keys()).filter((i) => (out.labelOf[i] ?? -1) >= 0);
      assert.deepEqual(Array.from(out.indices), labelled);
      for (const i of labelled) assert.equal(out.labelOf[i], labels[i], `image ${i}`);
      // half of each class's 20 propagated images, less those that are picked training images
      // kept images that are not picked training images
      assert.equal(out.pseudo, labelled.length - pick.train.length);
      // each class is a component of its own in the kNN graph: every image is sure of its class, and the
      // share's cut keeps its ties, so all are labelled
      assert.equal(labelled.length, 60);
    } finally {
      encoder.dispose();
    }
  });
});

describe('a run that self-trains', () => {
  let made: TempDir;
  before(async () => {
    await useTestBackend();
    made = await tempDir();
  });
  after(() => made.cleanup());

  it('estimates pseudo-labels before each self-training epoch only, and keeps one of their epochs', async () => {
    const dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 300 });
    const config = resolveTrainConfig(
      {
        codeSize: 4,
        hidden: [16],
        epochs: 3,
        selfTrain: 2,
        batchSize: 32,
        steps: 2,
        threads: '1',
        labelsPerClass: 5,
        labelsPerBatch: 8,
      },
      dataset.format,
    );
    const estimates: PseudoLabelInfo[] = [];
    const result = await runTraining(
      config,
      { indexDir: made.dir, dataset, backend: 'test' },
      { onPseudoLabels: (info) => estimates.push(info) },
    );
    assert.deepEqual(
      estimates.map((e) => e.epoch),
      [2, 3],
    );
    for (const e of estimates) {
      assert.equal(e.from, 40);
      assert.ok(e.images > 0 && e.images <= 300 - 40, `images ${e.images}`);
    }
    const labels = result.manifest.training.labels;
    assert.equal(labels?.selfTrain, 2);
    assert.ok(labels?.bestEpoch === 2 || labels?.bestEpoch === 3, `best epoch ${labels?.bestEpoch}`);
    const saved = JSON.parse(await readFile(join(made.dir, 'model.json'), 'utf8'));
    assert.equal(saved.training.labels.selfTrain, 2);
  });

  it('self-trains on two views of each unlabelled image when asked, split by corruption, and records it', async () => {
    const dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 300 });
    const settings = {
      codeSize: 4,
      hidden: [16],
      epochs: 2,
      selfTrain: 1,
      batchSize: 32,
      steps: 2,
      threads: '1',
      labelsPerClass: 5,
      labelsPerBatch: 8,
      noise: [
        { type: 'shift', level: 1 },
        { type: 'gaussian', level: 0.1 },
      ],
      views: 2,
      splitViews: true,
    } as const;
    const config = resolveTrainConfig(settings, dataset.format);
    assert.equal(config.labels?.views, 2);
    const dir = join(made.dir, 'views');
    const result = await runTraining(config, { indexDir: dir, dataset, backend: 'test' });
    assert.equal(result.manifest.training.labels?.views, 2);
    assert.equal(result.manifest.training.labels?.splitViews, true);
    // the split reaches the batches: the same run with every corruption on both views trains other weights
    const same = await runTraining(resolveTrainConfig({ ...settings, splitViews: false }, dataset.format), {
      indexDir: join(made.dir, 'views-same'),
      dataset,
      backend: 'test',
    });
    assert.notEqual(same.manifest.weightsHash, result.manifest.weightsHash);
    const unsplit = resolveTrainConfig(
      { ...settings, splitViews: false, epochs: 3, resume: true },
      dataset.format,
    );
    await assert.rejects(runTraining(unsplit, { indexDir: dir, dataset, backend: 'test' }), (err: Error) =>
      err.message.includes('split by corruption'),
    );
    const again = resolveTrainConfig(
      { ...settings, views: 1, splitViews: false, epochs: 3, resume: true },
      dataset.format,
    );
    await assert.rejects(runTraining(again, { indexDir: dir, dataset, backend: 'test' }), (err: Error) =>
      err.message.includes('2 views'),
    );
  });

  it('refuses self-training without labels, or as many self-training epochs as epochs', () => {
    const input = { side: 28, channels: 1 } as const;
    assert.throws(
      () => resolveTrainConfig({ selfTrain: 2 }, input),
      (err: Error & { code?: string }) => err.code === 'BAD_OPTION' && err.message.includes('--self-train'),
    );
    assert.throws(
      () => resolveTrainConfig({ selfTrain: 3, epochs: 3, labelsPerClass: 5 }, input),
      (err: Error & { code?: string }) =>
        err.code === 'BAD_OPTION' && err.message.includes('fewer than --epochs (3)'),
    );
    const noise = [{ type: 'gaussian', level: 0.1 }] as const;
    const two = [...noise, { type: 'shift', level: 2 }] as const;
    const views = { views: 2, epochs: 3, labelsPerClass: 5, selfTrain: 1 } as const;
    // a split needs two views and a corruption for each
    for (const bad of [
      { ...views, views: 1, noise: two },
      { ...views, noise },
    ])
      assert.throws(
        () => resolveTrainConfig({ ...bad, splitViews: true }, input),
        (err: Error & { code?: string }) =>
          err.code === 'BAD_OPTION' && err.message.includes('--split-views'),
      );
    assert.equal(
      resolveTrainConfig({ ...views, noise: two, splitViews: true }, input).labels?.splitViews,
      true,
    );
    assert.throws(
      () => resolveTrainConfig({ views: 2, epochs: 3, labelsPerClass: 5, noise }, input),
      (err: Error & { code?: string }) => err.code === 'BAD_OPTION' && err.message.includes('--views'),
    );
    // two views of an image without corruptions would be the same rows twice
    assert.throws(
      () => resolveTrainConfig({ views: 2, epochs: 3, labelsPerClass: 5, selfTrain: 1 }, input),
      (err: Error & { code?: string }) => err.code === 'BAD_OPTION' && err.message.includes('--noise'),
    );
    assert.equal(
      resolveTrainConfig({ views: 2, epochs: 3, labelsPerClass: 5, selfTrain: 1, noise }, input).labels
        ?.views,
      2,
    );
  });
});
