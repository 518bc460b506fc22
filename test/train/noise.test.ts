import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corruptBatch, STRIP_SHARE } from '../../src/train/noise.js';
import { createRng } from '../../src/util/rng.js';

const side = 4;
const img = Float32Array.from({ length: 16 }, (_, i) => (i + 1) / 16);

describe('input corruption', () => {
  it('masks about the given fraction of pixels and leaves the rest untouched', () => {
    const big = new Float32Array(10_000).fill(0.5);
    const out = corruptBatch(big, { side: 100, channels: 1 }, { type: 'masking', level: 0.3 }, createRng(1));
    const zeros = out.filter((v) => v === 0).length;
    assert.ok(Math.abs(zeros / 10_000 - 0.3) < 0.02, `masked share ${zeros / 10_000}`);
    assert.ok(out.every((v) => v === 0 || v === 0.5));
  });

  it('adds gaussian noise of about the given sigma, clipped to [0, 1]', () => {
    const big = new Float32Array(20_000).fill(0.5);
    const out = corruptBatch(big, { side: 100, channels: 1 }, { type: 'gaussian', level: 0.1 }, createRng(2));
    const sd = Math.sqrt(out.reduce((s, v) => s + (v - 0.5) ** 2, 0) / out.length);
    assert.ok(Math.abs(sd - 0.1) < 0.005, `sigma ${sd}`);
    assert.ok(out.every((v) => v >= 0 && v <= 1));
  });

  it('sets salt-and-pepper pixels to 0 or 1', () => {
    const big = new Float32Array(10_000).fill(0.5);
    const out = corruptBatch(
      big,
      { side: 100, channels: 1 },
      { type: 'salt-pepper', level: 0.2 },
      createRng(3),
    );
    const changed = out.filter((v) => v !== 0.5);
    assert.ok(changed.every((v) => v === 0 || v === 1));
    assert.ok(Math.abs(changed.length / 10_000 - 0.2) < 0.02);
  });

  it('repeats exactly for the same seed', () => {
    const a = corruptBatch(img, { side, channels: 1 }, { type: 'shift', level: 2 }, createRng(9));
    const b = corruptBatch(img, { side, channels: 1 }, { type: 'shift', level: 2 }, createRng(9));
    assert.deepEqual(a, b);
  });

  it('erases at most a level x side square per image', () => {
    const ones = new Float32Array(100 * 64).fill(1);
    const out = corruptBatch(ones, { side: 8, channels: 1 }, { type: 'erase', level: 0.5 }, createRng(4));
    for (let i = 0; i < 100; i++) {
      const zeros = out.subarray(i * 64, (i + 1) * 64).filter((v) => v === 0).length;
      assert.ok(zeros <= 16, `image ${i} lost ${zeros} pixels`);
    }
  });

  it('treats an RGB pixel as one: masking and salt-pepper set all its channels, shift and zoom move them together', () => {
    const rgb = { side: 10, channels: 3 };
    const px = Float32Array.from({ length: 4 * 300 }, (_, i) => [0.2, 0.5, 0.8][i % 3] ?? 0);
    for (const type of ['masking', 'salt-pepper', 'shift', 'zoom', 'erase'] as const) {
      const out = corruptBatch(
        px,
        rgb,
        { type, level: type === 'zoom' ? 0.3 : type === 'shift' ? 2 : 0.4 },
        createRng(5),
      );
      let changed = 0;
      for (let p = 0; p < out.length / 3; p++) {
        const [r, g, b] = [out[p * 3], out[p * 3 + 1], out[p * 3 + 2]];
        const same = r === px[0] && g === px[1] && b === px[2];
        const flat = r === g && g === b && (r === 0 || r === 1);
        // a zoomed pixel may blend with the black fill outside: its channels keep their ratio
        const scaled = type === 'zoom' && Math.abs((g ?? 0) * 0.2 - (r ?? 0) * 0.5) < 1e-6;
        assert.ok(same || flat || scaled, `${type}: pixel ${p} is ${r}, ${g}, ${b}`);
        if (!same) changed++;
      }
      assert.ok(changed > 0, `${type} changed nothing`);
    }
  });

  it('repeats exactly for the same seed and stays in [0, 1] with the copy-like corruptions', () => {
    const rgb = { side: 12, channels: 3 };
    const px = Float32Array.from({ length: 8 * 12 * 12 * 3 }, (_, i) => ((i * 37) % 101) / 100);
    for (const noise of [
      { type: 'rotate', level: 10 },
      { type: 'crop', level: 0.1 },
      { type: 'colour', level: 0.25 },
      { type: 'strip', level: 0.15 },
    ] as const) {
      const a = corruptBatch(px, rgb, noise, createRng(9));
      assert.deepEqual(a, corruptBatch(px, rgb, noise, createRng(9)), `${noise.type} repeats`);
      assert.notDeepEqual(a, corruptBatch(px, rgb, noise, createRng(10)), `${noise.type} follows the seed`);
      assert.ok(
        a.every((v) => v >= 0 && v <= 1),
        `${noise.type} left [0, 1]`,
      );
      assert.notDeepEqual(a, px, `${noise.type} changed nothing`);
    }
  });

  it('keeps gray images gray under the colour corruption', () => {
    const grey = Float32Array.from({ length: 4 * 16 * 3 }, (_, i) => Math.floor(i / 3) / 64);
    const out = corruptBatch(grey, { side: 4, channels: 3 }, { type: 'colour', level: 0.25 }, createRng(6));
    for (let p = 0; p < out.length / 3; p++) {
      assert.ok(Math.abs((out[p * 3] ?? 0) - (out[p * 3 + 1] ?? 1)) < 1e-5, `pixel ${p} took a colour`);
      assert.ok(Math.abs((out[p * 3] ?? 0) - (out[p * 3 + 2] ?? 1)) < 1e-5, `pixel ${p} took a colour`);
    }
  });

  it('draws a caption strip on about half the images, only in their top or bottom rows', () => {
    const side = 20;
    const count = 400;
    const ones = new Float32Array(count * side * side).fill(1);
    const out = corruptBatch(ones, { side, channels: 1 }, { type: 'strip', level: 0.2 }, createRng(8));
    let striped = 0;
    for (let i = 0; i < count; i++) {
      const rowChanged = Array.from({ length: side }, (_, r) =>
        out.subarray((i * side + r) * side, (i * side + r + 1) * side).some((v) => v !== 1),
      );
      const rows = rowChanged.filter(Boolean).length;
      if (rows === 0) continue;
      striped++;
      // at most 0.2 x 20 = 4 rows, all of them at one edge
      assert.ok(rows <= 4, `image ${i}: ${rows} rows`);
      const top = rowChanged.slice(0, rows).every(Boolean);
      const bottom = rowChanged.slice(side - rows).every(Boolean);
      assert.ok(top || bottom, `image ${i}: the strip is not at an edge`);
    }
    assert.ok(Math.abs(striped / count - STRIP_SHARE) < 0.08, `${striped} of ${count} striped`);
  });

  it('rotates and crops every channel of a pixel alike', () => {
    const rgb = { side: 10, channels: 3 };
    const px = Float32Array.from({ length: 4 * 300 }, (_, i) => [0.2, 0.5, 0.8][i % 3] ?? 0);
    for (const type of ['rotate', 'crop'] as const) {
      const out = corruptBatch(px, rgb, { type, level: type === 'rotate' ? 20 : 0.3 }, createRng(5));
      let changed = 0;
      for (let p = 0; p < out.length / 3; p++) {
        const [r, g, b] = [out[p * 3] ?? 0, out[p * 3 + 1] ?? 0, out[p * 3 + 2] ?? 0];
        // a flat colour turned is the same colour (corners take the border's, the same); a crop adds black bars
        assert.ok(
          (Math.abs(r - 0.2) < 1e-6 && Math.abs(g - 0.5) < 1e-6 && Math.abs(b - 0.8) < 1e-6) ||
            (r === 0 && g === 0 && b === 0),
          `${type}: pixel ${p} is ${r}, ${g}, ${b}`,
        );
        if (r === 0) changed++;
      }
      if (type === 'crop') assert.ok(changed > 0, 'no crop changed the aspect');
    }
  });
});
