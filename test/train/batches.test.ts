/** Batch composition (noise, revealed labels) and the trainer's epoch loop, with a recording runner. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ImageSet } from '../../src/dataset/types.js';
import { defaultArchConfig } from '../../src/model/architectures/index.js';
import type { Autoencoder } from '../../src/model/architectures/types.js';
import { composeBatch, composeViewsBatch, VIEW_PAIR_LABEL } from '../../src/train/batches.js';
import { learningRateAt } from '../../src/train/lr-schedule.js';
import type { StepRunner, TrainBatch } from '../../src/train/step-runner.js';
import { trainAutoencoder } from '../../src/train/trainer.js';
import { createRng } from '../../src/util/rng.js';

const SIDE = 4;
const AREA = SIDE * SIDE;

/** n images; image i has every pixel = i + 1. */
function tinySet(n: number, labels?: number[]): ImageSet {
  const pixels = new Uint8Array(n * AREA);
  for (let i = 0; i < n; i++) pixels.fill(i + 1, i * AREA, (i + 1) * AREA);
  return { count: n, pixels, labels: labels ? Int32Array.from(labels) : null };
}

function recordingRunner(): { runner: StepRunner; batches: TrainBatch[] } {
  const batches: TrainBatch[] = [];
  const step = async (b: TrainBatch) => {
    batches.push(b);
    return 0.5;
  };
  return { batches, runner: { step, dispose: () => {} } };
}

/** A model stand-in: the trainer only reads config and calls beginEpoch (validation is off). */
function fakeModel(overrides: Parameters<typeof defaultArchConfig>[1], epochs: number[]): Autoencoder {
  return {
    config: defaultArchConfig('dense', { side: SIDE, ...overrides }),
    beginEpoch: (e: number) => epochs.push(e),
  } as unknown as Autoencoder;
}

describe('composeBatch', () => {
  it('gives the clean images as targets and corrupted copies as inputs, in the order asked', () => {
    const plan = {
      side: SIDE,
      channels: 1,
      noise: [{ type: 'masking' as const, level: 0.5 }],
      labelOf: null,
      targets: null,
    };
    const batch = composeBatch(tinySet(3), [2, 0], plan, createRng(1));
    assert.equal(batch.n, 2);
    const row = (a: Float32Array, r: number) => Array.from(a.subarray(r * AREA, (r + 1) * AREA));
    assert.deepEqual(row(batch.target, 0), new Array(AREA).fill(Math.fround(3 / 255)));
    assert.deepEqual(row(batch.target, 1), new Array(AREA).fill(Math.fround(1 / 255)));
    assert.notDeepEqual(row(batch.input, 0), row(batch.target, 0));
    assert.equal(batch.labels, null);
  });

  it('applies the corruptions in order and reveals only the labels the plan holds', () => {
    const set = tinySet(3, [7, 8, 9]);
    const labelOf = Int32Array.from([7, -1, 9]);
    const noise = [
      { type: 'gaussian' as const, level: 0.1 },
      { type: 'masking' as const, level: 1 },
    ];
    const batch = composeBatch(
      set,
      [0, 1, 2],
      { side: SIDE, channels: 1, noise, labelOf, targets: null },
      createRng(2),
    );
    assert.ok(
      batch.input.every((v) => v === 0),
      'masking everything last leaves zeros',
    );
    assert.deepEqual(Array.from(batch.labels ?? []), [7, -1, 9]);
  });

  it('passes the clean batch as input when there is no noise', () => {
    const batch = composeBatch(
      tinySet(2),
      [0, 1],
      { side: SIDE, channels: 1, noise: [], labelOf: null, targets: null },
      createRng(3),
    );
    assert.equal(batch.input, batch.target);
  });

  it("takes the targets from the plan's rows when it has them, and the inputs from the images", () => {
    const targets = Float32Array.from({ length: 3 * AREA }, (_, i) => 100 + Math.floor(i / AREA));
    const batch = composeBatch(
      tinySet(3),
      [2, 0],
      { side: SIDE, channels: 1, noise: [], labelOf: null, targets },
      createRng(3),
    );
    assert.deepEqual(Array.from(batch.target), [...new Array(AREA).fill(102), ...new Array(AREA).fill(100)]);
    assert.deepEqual(Array.from(batch.input), [
      ...new Array(AREA).fill(Math.fround(3 / 255)),
      ...new Array(AREA).fill(Math.fround(1 / 255)),
    ]);
  });
});

describe('composeViewsBatch', () => {
  const row = (a: Float32Array, r: number) => Array.from(a.subarray(r * AREA, (r + 1) * AREA));

  it('shows each fresh image twice, corrupted independently, then the extra ones once', () => {
    const labelOf = Int32Array.from([-1, 4, -1, 6]);
    const plan = {
      side: SIDE,
      channels: 1,
      noise: [{ type: 'masking' as const, level: 0.5 }],
      labelOf,
      targets: null,
    };
    const batch = composeViewsBatch(tinySet(4), [0, 1, 2], [3], plan, createRng(5));
    assert.equal(batch.n, 7);
    const sources = [0, 1, 2, 0, 1, 2, 3];
    sources.forEach((image, r) => {
      assert.deepEqual(
        row(batch.target, r),
        new Array(AREA).fill(Math.fround((image + 1) / 255)),
        `row ${r}`,
      );
    });
    for (let r = 0; r < 3; r++)
      assert.notDeepEqual(
        row(batch.input, r),
        row(batch.input, r + 3),
        `the views of fresh image ${r} are the same`,
      );
  });

  it("pairs the two views of an unlabelled image by a label of their own, and keeps the plan's labels", () => {
    const labelOf = Int32Array.from([-1, 4, -1, 6, -1]);
    const plan = { side: SIDE, channels: 1, noise: [], labelOf, targets: null };
    const batch = composeViewsBatch(tinySet(5), [0, 1, 2], [3, 4], plan, createRng(5));
    const pair0 = VIEW_PAIR_LABEL;
    const pair2 = VIEW_PAIR_LABEL + 2;
    assert.deepEqual(Array.from(batch.labels ?? []), [pair0, 4, pair2, pair0, 4, pair2, 6, -1]);
  });

  it('splits the corruptions between the views when asked: the first one to the first view, the rest to the second', () => {
    const grey = { count: 3, pixels: new Uint8Array(3 * AREA).fill(128), labels: null };
    const clean = Math.fround(128 / 255);
    const noise = [
      { type: 'masking' as const, level: 0.5 },
      { type: 'gaussian' as const, level: 0.05 },
    ];
    const plan = { side: SIDE, channels: 1, noise, labelOf: null, targets: null };
    const values = (batch: TrainBatch, rows: number[]) => rows.flatMap((r) => row(batch.input, r));
    const masked = (v: number) => v === 0;
    const noisy = (v: number) => v !== 0 && v !== clean;
    const split = composeViewsBatch(grey, [0, 1], [2], plan, createRng(3), true);
    // first view: masked or untouched, never noisy; second view: noisy, never masked
    assert.ok(values(split, [0, 1]).some(masked));
    assert.ok(!values(split, [0, 1]).some(noisy), 'the first view has the second corruption');
    assert.ok(
      values(split, [2, 3]).every(noisy),
      'the second view lacks the second corruption or has the first',
    );
    // the extra row and, unsplit, both views take every corruption
    assert.ok(values(split, [4]).some(masked) && values(split, [4]).some(noisy));
    const whole = composeViewsBatch(grey, [0, 1], [2], plan, createRng(3));
    for (const rows of [
      [0, 1],
      [2, 3],
    ])
      assert.ok(values(whole, rows).some(masked) && values(whole, rows).some(noisy));
  });
});

describe('trainAutoencoder', () => {
  it('adds the labelled images to every batch and tells the model each epoch', async () => {
    const set = tinySet(10, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const labelOf = new Int32Array(10).fill(-1);
    labelOf[8] = 0;
    labelOf[9] = 1;
    const epochs: number[] = [];
    const { runner, batches } = recordingRunner();
    const config = { epochs: 2, batchSize: 4, seed: 1, stepsPerEpoch: null };
    const labelled = { labelOf, indices: Int32Array.from([8, 9]), perBatch: 2 };
    await trainAutoencoder(fakeModel({}, epochs), set, null, config, runner, {}, { labelled });
    assert.deepEqual(epochs, [1, 2]);
    // 10 images, 2 fresh ones per batch of 4: 5 batches per epoch
    assert.equal(batches.length, 10);
    for (const b of batches) {
      assert.equal(b.n, 4);
      const known = Array.from(b.labels ?? []).filter((l) => l >= 0).length;
      assert.ok(known >= 2, `a batch showed ${known} labels`);
    }
  });

  it('shows the fresh images of each batch twice when the labelled images ask for two views', async () => {
    const set = tinySet(10, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
    const labelOf = Int32Array.from([-1, -1, -1, -1, -1, -1, -1, -1, 0, 1]);
    const { runner, batches } = recordingRunner();
    const config = { epochs: 1, batchSize: 4, seed: 1, stepsPerEpoch: null };
    const labelled = { labelOf, indices: Int32Array.from([8, 9]), perBatch: 2, views: { split: false } };
    await trainAutoencoder(fakeModel({}, []), set, null, config, runner, {}, { labelled });
    // still 2 fresh images per step, each shown twice, beside the 2 labelled ones
    assert.equal(batches.length, 5);
    for (const b of batches) {
      assert.equal(b.n, 6);
      const labels = Array.from(b.labels ?? []);
      assert.deepEqual(labels.slice(0, 2), labels.slice(2, 4));
      assert.ok(
        labels.slice(4).every((l) => l === 0 || l === 1),
        `labelled rows ${labels.slice(4)}`,
      );
    }
  });

  it('splits the corruptions between the two views when the labelled images ask for it', async () => {
    const set = { count: 4, pixels: new Uint8Array(4 * AREA).fill(128), labels: null };
    const labelOf = Int32Array.from([-1, -1, 0, 1]);
    const noise = [
      { type: 'masking' as const, level: 0.5 },
      { type: 'gaussian' as const, level: 0.05 },
    ];
    const config = { epochs: 1, batchSize: 4, seed: 1, stepsPerEpoch: null };
    const firstViews = async (split: boolean) => {
      const { runner, batches } = recordingRunner();
      const labelled = { labelOf, indices: Int32Array.from([2, 3]), perBatch: 2, views: { split } };
      await trainAutoencoder(fakeModel({ noise }, []), set, null, config, runner, {}, { labelled });
      return batches.flatMap((b) => Array.from(b.input.subarray(0, 2 * AREA)));
    };
    // the first view of a split pair is only masked: its values are 0 or the clean one
    const clean = Math.fround(128 / 255);
    const onlyMasked = (values: number[]) => values.every((v) => v === 0 || v === clean);
    assert.ok(onlyMasked(await firstViews(true)), 'the first split view is noisy too');
    assert.ok(!onlyMasked(await firstViews(false)), 'the first unsplit view is only masked');
  });

  it('stops when stopAfter says so', async () => {
    const { runner, batches } = recordingRunner();
    const logs = await trainAutoencoder(
      fakeModel({}, []),
      tinySet(4),
      null,
      { epochs: 5, batchSize: 4, seed: 1, stepsPerEpoch: null },
      runner,
      { stopAfter: (log) => log.epoch === 2 },
    );
    assert.equal(logs.length, 2);
    assert.equal(batches.length, 2);
  });
});

describe('learningRateAt', () => {
  it('keeps the rate without decay, and anneals it along half a cosine', () => {
    assert.equal(learningRateAt(0.01, 'none', 3, 4), 0.01);
    assert.equal(learningRateAt(0.01, 'cosine', 1, 4), 0.01);
    // epoch 3 of 4 starts half-way through: 0.5 * (1 + cos(pi / 2))
    assert.ok(Math.abs(learningRateAt(0.01, 'cosine', 3, 4) - 0.005) < 1e-12);
    assert.ok(learningRateAt(0.01, 'cosine', 4, 4) < 0.002);
  });
});
