/** Brightness, saturation and hue changes of float pixels, checked against sharp's modulate. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { modulateColour } from '../../src/image/colour-jitter.js';
import { createRng } from '../../src/util/rng.js';

const rng = createRng(21);
const rgb = Float32Array.from({ length: 16 * 16 * 3 }, () => Math.round(rng() * 255) / 255);
const none = { brightness: 1, saturation: 1, hue: 0 };

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

describe('colour jitter', () => {
  it('keeps the pixels when nothing changes', () => {
    const out = new Float32Array(rgb.length);
    modulateColour(rgb, out, 3, none);
    assert.ok(maxDiff(out, rgb) < 1e-5, `moved by ${maxDiff(out, rgb)}`);
  });

  it('keeps a gray pixel gray under saturation and hue changes, and lightens it with brightness', () => {
    const grey = Float32Array.from([0.3, 0.3, 0.3, 0.8, 0.8, 0.8]);
    const out = new Float32Array(6);
    modulateColour(grey, out, 3, { brightness: 1, saturation: 1.4, hue: 25 });
    assert.ok(maxDiff(out, grey) < 1e-5, `gray moved by ${maxDiff(out, grey)}`);
    modulateColour(grey, out, 3, { brightness: 1.2, saturation: 0.6, hue: -25 });
    assert.ok((out[0] ?? 0) > 0.3 && Math.abs((out[0] ?? 0) - (out[1] ?? 0)) < 1e-5);
  });

  it('changes only brightness on grayscale, clipped to [0, 1]', () => {
    const grey = Float32Array.from([0, 0.25, 0.5, 0.95]);
    const out = new Float32Array(4);
    modulateColour(grey, out, 1, { brightness: 0.8, saturation: 0, hue: 90 });
    assert.equal(out[0], 0);
    for (let i = 1; i < 4; i++) assert.ok((out[i] ?? 1) < (grey[i] ?? 0), `value ${i} did not darken`);
    modulateColour(grey, out, 1, { brightness: 1.25, saturation: 1, hue: 0 });
    assert.equal(out[3], 1);
  });

  it("matches sharp's modulate (the copy test's colour edit) within 2/255", async () => {
    const bytes = Buffer.from(Uint8Array.from(rgb, (v) => Math.round(v * 255)));
    const raw = { width: 16, height: 16, channels: 3 as const };
    for (const m of [
      { brightness: 0.75, saturation: 1.4, hue: 25 },
      { brightness: 1.2, saturation: 0.6, hue: -17 },
    ]) {
      const want = await sharp(bytes, { raw }).modulate(m).raw().toBuffer();
      const out = new Float32Array(rgb.length);
      modulateColour(rgb, out, 3, m);
      const got = Uint8Array.from(out, (v) => Math.round(v * 255));
      assert.ok(maxDiff(got, want) <= 2, `${JSON.stringify(m)}: off by ${maxDiff(got, want)}/255`);
    }
  });
});
