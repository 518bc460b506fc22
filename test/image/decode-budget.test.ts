/**
 * The decode budget from headers alone: ordinary photos are cheap (baseline JPEGs shrink while they
 * decode, PNGs stream), interlaced, 16-bit, progressive and GIF images are costly, and refusals say what
 * is too costly, the limit and what would fit. Also the WebP chunk reader.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AesearchError, isAesearchError } from '../../src/errors.js';
import {
  COSTLY_DECODE_BYTES,
  DEFAULT_DECODE_BUDGET,
  decodeCost,
  type ImageHeader,
  planDecode,
} from '../../src/image/decode-budget.js';
import { webpKind } from '../../src/image/header.js';

const MIB = 1024 * 1024;
const rgb = (
  format: ImageHeader['format'],
  width: number,
  height: number,
  extra: Partial<ImageHeader> = {},
) => ({ format, width, height, channels: 3, bitsPerSample: 8, interlaced: false, ...extra }) as ImageHeader;

function refusal(header: ImageHeader, budget = DEFAULT_DECODE_BUDGET): AesearchError {
  try {
    planDecode(header, budget, 'field "image"');
  } catch (err) {
    if (isAesearchError(err)) return err;
    throw err;
  }
  assert.fail(`expected ${JSON.stringify(header)} to be refused`);
}

describe('decodeCost', () => {
  it('keeps ordinary photos out of the costly lane: a 50 MP JPEG, a 4K screenshot, a scan', () => {
    const ordinary = {
      '50 MP phone JPEG': rgb('jpeg', 8160, 6120, { chromaSubsampling: '4:2:0' }),
      '4K PNG screenshot with alpha': rgb('png', 3840, 2160, { channels: 4 }),
      '35 MP gray JPEG scan': rgb('jpeg', 5000, 7000, { channels: 1 }),
      '12 MP progressive JPEG': rgb('jpeg', 4000, 3000, { interlaced: true, chromaSubsampling: '4:2:0' }),
      'lossy WebP of 6000 x 6000': rgb('webp', 6000, 6000, { webp: 'lossy' }),
    };
    for (const [name, header] of Object.entries(ordinary)) {
      const cost = decodeCost(header);
      assert.equal(cost.costly, false, `${name}: ${JSON.stringify(cost)}`);
      assert.doesNotThrow(() => planDecode(header, DEFAULT_DECODE_BUDGET, name));
    }
    // The baseline JPEG streams at 1/8 scale: a few MB, where its pixels would take 143 MB.
    assert.ok(decodeCost(ordinary['50 MP phone JPEG']).memoryBytes < 4 * MIB);
  });

  it('counts what is held whole: interlaced PNG, progressive JPEG coefficients, GIF frames, lossless WebP', () => {
    const whole: [ImageHeader, number][] = [
      [rgb('png', 6000, 6000, { bitsPerSample: 16, interlaced: true }), 6000 * 6000 * 6],
      [rgb('png', 6000, 6000, { interlaced: true }), 6000 * 6000 * 3],
      [rgb('jpeg', 6300, 6300, { interlaced: true, chromaSubsampling: '4:2:0' }), 6300 * 6300 * 3],
      [rgb('gif', 6000, 6000, { channels: 4 }), 6000 * 6000 * 4],
      [rgb('webp', 6000, 6000, { webp: 'lossless' }), 6000 * 6000 * 4],
    ];
    for (const [header, bytes] of whole) {
      const cost = decodeCost(header);
      assert.equal(cost.memoryBytes, bytes, JSON.stringify(header));
      assert.ok(cost.costly && cost.memoryBytes > COSTLY_DECODE_BYTES);
    }
    const streamed = decodeCost(rgb('png', 6000, 6000, { bitsPerSample: 16 }));
    assert.equal(streamed.memoryBytes, 6000 * 6 * 1024, 'a non-interlaced PNG holds a band of rows');
  });
});

describe('planDecode', () => {
  it('refuses a 16-bit interlaced 6000 x 6000 PNG from its header, naming the cost, the limit and the way out', () => {
    const png = rgb('png', 6000, 6000, { bitsPerSample: 16, interlaced: true });
    const err = refusal(png);
    assert.equal(err.code, 'IMAGE_TOO_COSTLY');
    assert.equal(err.status, 413);
    assert.equal(
      err.message,
      'Expected an image that decodes within the server\'s budget in field "image" but received a 16-bit interlaced PNG of 6,000 x 6,000 pixels, which means decoding ~412 MB of pixel data (the limit is 256 MB); refused before decoding, save it as an 8-bit, non-interlaced PNG, or send it at most 4,729 x 4,729 pixels',
    );
    const small = refusal(png, { ...DEFAULT_DECODE_BUDGET, maxMemoryBytes: 64 * MIB });
    assert.match(small.message, /which needs ~206 MB of decoder memory \(the limit is 64 MB\)/);
    // What the advice promises does fit.
    assert.doesNotThrow(() =>
      planDecode({ ...png, bitsPerSample: 8, interlaced: false }, DEFAULT_DECODE_BUDGET, 'x'),
    );
    assert.doesNotThrow(() => planDecode({ ...png, width: 4729, height: 4729 }, DEFAULT_DECODE_BUDGET, 'x'));
  });

  it('suggests a size that fits even when memory grows with the width only', () => {
    const wide = rgb('png', 40_000, 2000, { channels: 4, bitsPerSample: 16 });
    const err = refusal(wide, { ...DEFAULT_DECODE_BUDGET, maxWorkBytes: 1024 * MIB });
    assert.match(err.message, /needs ~313 MB of decoder memory \(the limit is 256 MB\)/);
    const [, w, h] = /at most ([\d,]+) x ([\d,]+) pixels$/.exec(err.message) ?? [];
    const fitted = { ...wide, width: Number(w?.replace(/,/g, '')), height: Number(h?.replace(/,/g, '')) };
    assert.doesNotThrow(() =>
      planDecode(fitted, { ...DEFAULT_DECODE_BUDGET, maxWorkBytes: 1024 * MIB }, 'x'),
    );
  });

  it('refuses more than maxPixels with IMAGE_TOO_LARGE, whatever the format', () => {
    const err = refusal(rgb('jpeg', 20_000, 10_000));
    assert.equal(err.code, 'IMAGE_TOO_LARGE');
    assert.equal(
      err.message,
      'Expected an image of at most 100,000,000 pixels in field "image" but it declares 20,000 x 10,000 pixels; refused before decoding, send a downscaled image',
    );
  });
});

describe('webpKind', () => {
  const chunk = (code: string, size: number) => {
    const head = Buffer.alloc(8 + size + (size % 2));
    head.write(code, 0, 'latin1');
    head.writeUInt32LE(size, 4);
    return head;
  };
  const riff = (...chunks: Buffer[]) => Buffer.concat([Buffer.from('RIFF\0\0\0\0WEBP', 'latin1'), ...chunks]);

  it('tells lossy, lossy with alpha, lossless and animated apart by their chunks', () => {
    assert.equal(webpKind(riff(chunk('VP8 ', 10))), 'lossy');
    assert.equal(webpKind(riff(chunk('VP8L', 5))), 'lossless');
    assert.equal(webpKind(riff(chunk('VP8X', 10), chunk('ALPH', 3), chunk('VP8 ', 10))), 'lossy with alpha');
    assert.equal(webpKind(riff(chunk('VP8X', 10), chunk('ANIM', 6), chunk('ANMF', 20))), 'animated');
    assert.equal(webpKind(riff(chunk('VP8X', 10))), undefined, 'no image chunk');
  });
});
