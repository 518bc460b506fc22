/**
 * The copy check on hand-made 28 px images: grey levels, correlation (brightness and contrast drop out,
 * the margin is left out), resampling, probe vectors, alignment of shifted and zoomed copies, and copy
 * scores of edited copies against a natural neighbour (the same outline with another pattern inside).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { correlation, IDENTITY_POSE, resample } from '../../src/search/copy-align.js';
import {
  align,
  blur,
  COMPARE_MARGIN_PX,
  copyScore,
  copySignature,
  greyOf,
  PROBE_POSES,
  probeDims,
  probeVectors,
} from '../../src/search/copy-check.js';
import { DEFAULT_COPY_RULE } from '../../src/search/copy-pairs.js';
import { createRng } from '../../src/util/rng.js';

const SIDE = 28;
const FORMAT = { side: SIDE, channels: 1 };

/** A garment-like picture: a bright rounded outline on black, with `pattern` inside (0-255 bytes). */
function garment(pattern: (x: number, y: number) => number): Uint8Array {
  const out = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const body = x >= 7 && x <= 20 && y >= 4 && y <= 25;
      const sleeves = y >= 4 && y <= 11 && x >= 2 && x <= 25;
      if (body || sleeves) out[y * SIDE + x] = Math.max(0, Math.min(255, Math.round(pattern(x, y))));
    }
  return out;
}

const rng = createRng(5);
const noise = Array.from({ length: SIDE * SIDE }, () => rng());
/** A stripy print. */
const striped = garment((x, y) => 150 + 60 * Math.sin((x + 2 * y) / 1.6) + 20 * (noise[y * SIDE + x] ?? 0));
/** The same outline with a checked print: a natural neighbour, not a copy. */
const checked = garment(
  (x, y) => 150 + 60 * Math.sign(Math.sin(x / 1.3) * Math.sin(y / 1.3)) + 20 * (noise[y * SIDE + x] ?? 0),
);

/** `input` turned into bytes again after `edit` of its grey levels (0-1). */
function edited(input: Uint8Array, edit: (grey: Float32Array) => Float32Array): Uint8Array {
  return Uint8Array.from(edit(greyOf(input, FORMAT)), (v) => Math.max(0, Math.min(255, Math.round(v * 255))));
}

describe('greyOf and correlation', () => {
  it('averages channels into [0, 1] and refuses a wrong size', () => {
    const grey = greyOf(Uint8Array.from([255, 0, 0]), { side: 1, channels: 3 });
    assert.ok(Math.abs((grey[0] ?? 0) - 1 / 3) < 1e-6);
    assert.throws(() => greyOf(new Uint8Array(5), FORMAT), {
      name: 'RangeError',
      message: 'Expected 784 bytes of model input but got 5',
    });
  });

  it('is 1 for another brightness and contrast, -1 for the negative, 0 for a flat image', () => {
    const a = greyOf(striped, FORMAT);
    const brighter = a.map((v) => 0.1 + 1.7 * v);
    assert.ok(Math.abs(correlation(a, brighter, SIDE) - 1) < 1e-6);
    assert.ok(
      Math.abs(
        correlation(
          a,
          a.map((v) => 1 - v),
          SIDE,
        ) + 1,
      ) < 1e-6,
    );
    assert.equal(correlation(a, new Float32Array(SIDE * SIDE).fill(0.5), SIDE), 0);
  });

  it('leaves out the margin', () => {
    const a = greyOf(striped, FORMAT);
    const b = a.slice();
    for (let x = 0; x < SIDE; x++) b[x] = 1 - (b[x] ?? 0); // the top row changed
    assert.ok(correlation(a, b, SIDE) < 0.999);
    assert.ok(Math.abs(correlation(a, b, SIDE, COMPARE_MARGIN_PX) - 1) < 1e-6);
  });
});

describe('resample and blur', () => {
  it('moves the picture by the shift, and the identity keeps it', () => {
    const dot = new Float32Array(SIDE * SIDE);
    dot[10 * SIDE + 10] = 1;
    assert.deepEqual(resample(dot, SIDE, IDENTITY_POSE), dot);
    const moved = resample(dot, SIDE, { zoomX: 1, zoomY: 1, dx: 1, dy: -2 });
    assert.equal(moved[12 * SIDE + 9], 1);
    assert.equal(
      moved.reduce((s, v) => s + v, 0),
      1,
    );
  });

  it('blurs without changing the total away from the edges, and sigma 0 copies', () => {
    const dot = new Float32Array(SIDE * SIDE);
    dot[14 * SIDE + 14] = 1;
    const soft = blur(dot, SIDE, 1);
    assert.ok(Math.abs(soft.reduce((s, v) => s + v, 0) - 1) < 1e-5);
    assert.ok((soft[14 * SIDE + 14] ?? 0) < 0.2 && (soft[14 * SIDE + 15] ?? 0) > 0.05);
    assert.deepEqual(blur(dot, SIDE, 0), dot);
  });
});

describe('probeVectors', () => {
  it('gives the image and each probe pose as unit vectors of half size, the same at another brightness', () => {
    const probes = probeVectors(copySignature(striped, FORMAT));
    assert.equal(probes.length, 1 + PROBE_POSES.length);
    for (const v of probes) {
      assert.equal(v.length, probeDims(SIDE));
      const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
      assert.ok(Math.abs(norm - 1) < 1e-5, `norm ${norm}`);
      assert.ok(Math.abs(v.reduce((s, x) => s + x, 0)) < 1e-4);
    }
    const darker = probeVectors(
      copySignature(
        edited(striped, (g) => g.map((v) => 0.9 * v)),
        FORMAT,
      ),
    );
    const dotOf = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * (y[i] ?? 0), 0);
    assert.ok(dotOf(probes[0] ?? new Float32Array(), darker[0] ?? new Float32Array()) > 0.9999);
  });
});

describe('align', () => {
  it('finds the shift and zoom of a moved copy', () => {
    const a = copySignature(striped, FORMAT);
    const pose = { zoomX: 1.04, zoomY: 0.97, dx: 1.5, dy: -1 };
    const moved = copySignature(
      edited(striped, (g) => resample(g, SIDE, pose)),
      FORMAT,
    );
    const found = align(moved, a);
    assert.ok(found.score > 0.995, `score ${found.score}`);
    assert.ok(Math.abs(found.pose.dx - pose.dx) <= 0.25, JSON.stringify(found.pose));
    assert.ok(Math.abs(found.pose.dy - pose.dy) <= 0.25, JSON.stringify(found.pose));
    assert.ok(Math.abs(found.pose.zoomX - pose.zoomX) <= 0.015, JSON.stringify(found.pose));
    assert.ok(Math.abs(found.pose.zoomY - pose.zoomY) <= 0.015, JSON.stringify(found.pose));
    assert.ok(align(a, a).score > 0.99999);
  });

  it('refuses signatures of two sides', () => {
    const small = copySignature(new Uint8Array(16 * 16), { side: 16, channels: 1 });
    assert.throws(() => align(copySignature(striped, FORMAT), small), {
      name: 'RangeError',
      message: 'Expected images of one side but got 28 and 16',
    });
  });
});

describe('copyScore', () => {
  const original = copySignature(striped, FORMAT);
  const copyLevel = DEFAULT_COPY_RULE.floor;
  const copies = {
    darker: edited(striped, (g) => g.map((v) => 0.9 * v)),
    brighter: edited(striped, (g) => g.map((v) => 1.1 * v)),
    'shifted and zoomed (a crop)': edited(striped, (g) =>
      resample(g, SIDE, { zoomX: 27 / 28, zoomY: 27 / 28, dx: -1, dy: 0 }),
    ),
    'blurred (a downscale)': edited(striped, (g) => blur(g, SIDE, 0.8)),
    'noisy (JPEG-like)': edited(striped, (g) => g.map((v) => v + 0.02 * (rng() - 0.5))),
  };

  for (const [name, copy] of Object.entries(copies))
    it(`scores a ${name} copy at copy level`, () => {
      const s = copyScore(original, copySignature(copy, FORMAT));
      assert.ok(s >= copyLevel, `score ${s}`);
    });

  it('stays well below the floor for the same outline with another pattern, and far below for another picture', () => {
    const neighbour = copyScore(original, copySignature(checked, FORMAT));
    assert.ok(neighbour < 0.99, `score ${neighbour}`);
    assert.ok(neighbour > 0.5, `score ${neighbour}`);
    const other = new Uint8Array(SIDE * SIDE);
    for (let y = 8; y < 20; y++) for (let x = 3; x < 12; x++) other[y * SIDE + x] = 200;
    assert.ok(copyScore(original, copySignature(other, FORMAT)) < 0.9);
  });

  it('is about the same either way round', () => {
    const copy = copySignature(copies['shifted and zoomed (a crop)'], FORMAT);
    assert.ok(Math.abs(copyScore(original, copy) - copyScore(copy, original)) < 1e-3);
  });
});
