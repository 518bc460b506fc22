import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { corruptBatch } from '../../src/train/noise.js';
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
});
