/**
 * The unusual-query score on hand-made vectors: the complexity and gradient features, the profile's
 * leave-one-out scores, a query's score, percentile and threshold, and the profile file's checks.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { meanSquaredError } from '../../src/store/error-distribution.js';
import type { IndexManifest } from '../../src/store/manifest.js';
import { readBuild, writeBuild } from '../../src/store/pg/build-record.js';
import {
  decodeUnusualProfile,
  encodeUnusualProfile,
  readUnusualProfile,
  writeUnusualProfile,
} from '../../src/store/unusual-profile-file.js';
import {
  buildUnusualProfile,
  compressedBits,
  gradientError,
  measureUnusual,
  UNUSUAL_FEATURES,
  unusualFeatures,
  unusualScore,
  unusualThreshold,
} from '../../src/store/unusual-score.js';
import { createRng } from '../../src/util/rng.js';
import { tempDir } from '../helpers/fixtures.js';

const GRAY4 = { side: 4, channels: 1 } as const;
const f32 = Math.fround;

function randomBytes(n: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: n }, () => Math.floor(rng() * 256));
}

describe('unusual-query features', () => {
  it('measures complexity as deflated bits per value: a flat image needs few, noise about 8', () => {
    assert.ok(compressedBits(new Uint8Array(784)) < 0.2, `flat ${compressedBits(new Uint8Array(784))}`);
    assert.ok(compressedBits(new Uint8Array(784).fill(90)) < 0.2);
    const noise = compressedBits(randomBytes(784, 1));
    assert.ok(noise > 7.9 && noise < 8.2, `noise ${noise}`);
    assert.throws(() => compressedBits(new Uint8Array(0)), /Expected a non-empty image but got 0 bytes/);
  });

  it('compares the differences of neighbouring values, not the values', () => {
    // 2 x 2: horizontal differences 1 and 1, vertical 0 and 0; the reconstruction is flat: (1 + 1) / 4.
    assert.equal(gradientError([0, 1, 0, 1], [0, 0, 0, 0], { side: 2, channels: 1 }), 0.5);
    // Shifted by a constant: every difference is the same, though the squared error is 0.04.
    const input = [0.1, 0.5, 0.9, 0.3, 0.2, 0.8, 0.4, 0.6, 0.7];
    const shifted = input.map((v) => v + 0.2);
    assert.ok(gradientError(input, shifted, { side: 3, channels: 1 }) < 1e-12);
    assert.ok(Math.abs(meanSquaredError(input, shifted) - 0.04) < 1e-12);
  });

  it('pairs each channel with the same channel of its neighbours', () => {
    // 2 x 2 RGB: red is 1 everywhere, green steps left to right, blue is 0; the reconstruction is flat 0.
    // Red and blue have no differences; green's two horizontal ones are 1: 2 / (2 * 2 * 1 * 3) = 1/6.
    const input = [1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 1, 0];
    assert.equal(gradientError(input, new Array(12).fill(0), { side: 2, channels: 3 }), 2 / 12);
    assert.throws(
      () => gradientError([0, 1, 0], [0, 0, 0], { side: 2, channels: 1 }),
      /Expected two images of 2 x 2 x 1 values \(side at least 2\) but got 3 and 3/,
    );
  });

  it('divides the squared error by the bits per value, and counts fewer bits as simpler', () => {
    const input = randomBytes(16, 2);
    const unit = Array.from(input, (v) => v / 255);
    const recon = unit.map((v, i) => v * 0.8 + (i % 2) * 0.05);
    const [errorPerBit, gradient, simplicity] = unusualFeatures(input, recon, GRAY4);
    assert.deepEqual(UNUSUAL_FEATURES, ['errorPerBit', 'gradientError', 'simplicity']);
    assert.equal(simplicity, -compressedBits(input));
    const expected = meanSquaredError(unit, recon) / compressedBits(input);
    assert.ok(Math.abs((errorPerBit ?? 0) / expected - 1) < 1e-6, `${errorPerBit} vs ${expected}`);
    // The features take the input as float32, as the model does: equal to within float32 rounding.
    assert.ok(Math.abs((gradient ?? 0) / gradientError(unit, recon, GRAY4) - 1) < 1e-6);
  });
});

describe('the collection profile and a query score', () => {
  // Feature 0 ranks the rows 1 2 3 4, feature 1 ranks them 1 4 2 3, feature 2 ranks them 2 1 3 4.
  const rows = [
    [1, 10, -3],
    [2, 40, -4],
    [3, 20, -2],
    [4, 30, -1],
  ];

  it("scores each item by its larger percentile among the items' values (itself a tie)", () => {
    const profile = buildUnusualProfile(rows);
    assert.deepEqual([...(profile.features[0] ?? [])], [1, 2, 3, 4]);
    assert.deepEqual([...(profile.features[1] ?? [])], [10, 20, 30, 40]);
    assert.deepEqual([...(profile.features[2] ?? [])], [-4, -3, -2, -1]);
    // Ranks (from 0, plus half for itself) over 4: row 1 is 0.5, 0.5 and 1.5; row 2 is 1.5, 3.5 and 0.5;
    // row 3 is 2.5, 1.5 and 2.5; row 4 is 3.5, 2.5 and 3.5.
    assert.deepEqual([...profile.scores], [37.5, 62.5, 87.5, 87.5]);
  });

  it('counts ties half, scores a lone item 50, and refuses a row of another width', () => {
    const tied = buildUnusualProfile([
      [1, 1, 1],
      [1, 1, 1],
      [2, 2, 2],
    ]);
    // Each 1 is tied with itself and the other: (0 + 2/2) / 3; the 2 has two below: (2 + 1/2) / 3.
    assert.deepEqual([...tied.scores], [f32(100 / 3), f32(100 / 3), f32(250 / 3)]);
    assert.deepEqual([...buildUnusualProfile([[5, 6, 7]]).scores], [50]);
    assert.deepEqual([...buildUnusualProfile([]).scores], []);
    assert.throws(() => buildUnusualProfile([[1, 2, 3], [3]]), /Expected 3 numbers in row 1 but got 3/);
  });

  it("places a query's features among the items' (ties half) and keeps the larger", () => {
    const profile = buildUnusualProfile(rows);
    assert.equal(
      unusualScore(profile, [2.5, 5, -9]),
      50,
      'half the items below on feature 0, none on 1 and 2',
    );
    assert.equal(unusualScore(profile, [0, 50, -9]), 100, 'above every item on feature 1');
    assert.equal(unusualScore(profile, [0, 0, 0]), 100, 'above every item on feature 2');
    assert.equal(unusualScore(profile, [2, 20, -9]), f32(37.5), 'tied with one of four: (1 + 1/2) / 4');
    assert.equal(unusualScore(buildUnusualProfile([]), [1, 1, 1]), null);
  });

  it("turns a percentile into the score threshold over the items' scores, null when not measured", () => {
    const profile = buildUnusualProfile(rows);
    assert.equal(unusualThreshold(profile, 0), 37.5);
    assert.equal(unusualThreshold(profile, 50), 75, 'halfway between 62.5 and 87.5');
    assert.equal(unusualThreshold(profile, 100), 87.5);
    assert.equal(unusualThreshold(null, 99.5), null);
  });

  it('flags a flat image that rebuilds as well as the textured items, which plain error would not', () => {
    // Collection: 4 x 4 textures rebuilt at 90% of their values. Query: a flat gray rebuilt the same way.
    const reconOf = (input: Uint8Array) => Array.from(input, (v) => (v / 255) * 0.9);
    const items = Array.from({ length: 40 }, (_, i) => randomBytes(16, 10 + i));
    const profile = buildUnusualProfile(items.map((input) => unusualFeatures(input, reconOf(input), GRAY4)));
    const flat = new Uint8Array(16).fill(96);
    const unit = (input: Uint8Array) => Array.from(input, (v) => v / 255);
    const itemErrors = items.map((input) => meanSquaredError(unit(input), reconOf(input)));
    const flatError = meanSquaredError(unit(flat), reconOf(flat));
    assert.ok(flatError < Math.max(...itemErrors), 'its plain error is within the items');
    const flagged = measureUnusual(profile, flat, reconOf(flat), GRAY4);
    assert.equal(flagged.score, 100);
    assert.equal(flagged.percentile, 100, "above every item's score (at most 100 - 50 / 40)");
    assert.ok((flagged.score ?? 0) > (unusualThreshold(profile, 99.5) ?? 100));
    const own = measureUnusual(profile, items[3] ?? flat, reconOf(items[3] ?? flat), GRAY4);
    assert.ok((own.score ?? 100) < 100 && (own.percentile ?? 100) < 99, JSON.stringify(own));
    assert.deepEqual(measureUnusual(null, flat, reconOf(flat), GRAY4), { score: null, percentile: null });
  });
});

describe('the profile file', () => {
  it('round-trips the features and scores and refuses bytes of another size or out of order', async () => {
    const profile = buildUnusualProfile([
      [0.5, 3, -2],
      [0.25, 1, -1],
      [1, 2, -3],
    ]);
    const bytes = encodeUnusualProfile(profile);
    assert.equal(bytes.length, 3 * 4 * 4, '3 features and the scores of 3 items');
    assert.deepEqual(decodeUnusualProfile(bytes, 3), profile);
    assert.equal(
      decodeUnusualProfile(bytes, 4),
      "it holds 48 bytes but 4 items' 3 features and scores take 64",
    );
    const unsorted = Buffer.from(bytes);
    unsorted.writeFloatLE(9, 0);
    assert.equal(decodeUnusualProfile(unsorted, 3), 'its values are not numbers in ascending order');
    const dir = await tempDir();
    try {
      const file = join(dir.dir, 'unusual.f32');
      await writeUnusualProfile(file, profile);
      assert.deepEqual(await readUnusualProfile(file, 3), profile);
      await assert.rejects(readUnusualProfile(file, 2), {
        code: 'INDEX_CORRUPT',
        message: `${file} cannot be loaded (it holds 48 bytes but 2 items' 3 features and scores take 32); run \`aesearch index\` to rebuild it`,
      });
      await writeFile(file, unsorted);
      await assert.rejects(readUnusualProfile(file, 3), {
        code: 'INDEX_CORRUPT',
        message: /its values are not numbers in ascending order/,
      });
    } finally {
      await dir.cleanup();
    }
  });
});

describe("a PostgreSQL store's build record", () => {
  const manifest = {
    version: 3,
    dir: 'pg-1',
    catalogue: 'c.db',
    changesSeq: 0,
    model: {
      weightsHash: 'abc',
      dir: 'model-abc',
      arch: {
        arch: 'dense',
        side: 28,
        channels: 1,
        codeSize: 2,
        hidden: [8],
        codeActivation: 'linear',
        codeNorm: 'none',
        noise: [],
        seed: 1,
        conv: { filters: [16, 32], kernelSize: 3, unpool: 'transpose' },
        klWeight: 0.05,
        pretrainEpochs: 1,
        labelLoss: null,
      },
      codeSize: 2,
    },
    collection: { name: 'n', origin: 'o', count: 3 },
    preprocessing: {},
    code: {
      file: 'code.hnsw',
      dims: 2,
      metric: 'l2',
      count: 3,
      params: { m: 16, efConstruction: 100, efSearch: 64, seed: 100 },
      buildSeconds: 1,
      bytes: 10,
      sha256: 'x',
    },
    pixel: null,
    backend: 'wasm',
    embedSeconds: 1,
    totalSeconds: 1,
    builtAt: '2026-01-01T00:00:00.000Z',
  } as unknown as IndexManifest;

  it('keeps the profile through JSON, and reads an older record (errors, no profile) as none', () => {
    const unusual = buildUnusualProfile([
      [0.5, 3, -2],
      [0.25, 1, -1],
      [1, 2, -3],
    ]);
    const json = JSON.parse(JSON.stringify(writeBuild({ manifest, unusual, map: null })));
    assert.deepEqual(json.unusual.features, ['errorPerBit', 'gradientError', 'simplicity']);
    assert.deepEqual(readBuild(json, 'here')?.unusual, unusual);
    const older = { manifest: json.manifest, errors: 'AAAAAA==', map: null };
    assert.equal(readBuild(older, 'here')?.unusual, null);
    const otherFeatures = { ...json, unusual: { ...json.unusual, features: ['something'] } };
    assert.equal(readBuild(otherFeatures, 'here')?.unusual, null);
    assert.throws(() => readBuild({ ...json, unusual: { ...json.unusual, count: 4 } }, 'db:5432/x'), {
      code: 'STORE_SCHEMA',
      message: /its unusual-query profile: it holds 48 bytes but 4 items' 3 features and scores take 64/,
    });
  });
});
