/**
 * The copy test's parts: each edit changes the image as it says (and keeps its size plausible), repeats
 * for a seed, and decodes as an upload; the item sample; recall of the originals on a hand-made ranking.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { recallOfOriginals, sampleItems } from '../../src/eval/copies.js';
import {
  COPY_EDITS,
  type CopyEdit,
  DOWNSCALE_FACTOR,
  EDITS,
  MAX_CROP_SHARE,
} from '../../src/eval/copies-edits.js';
import type { KnnResult } from '../../src/eval/knn.js';
import { decodeImage, IDX_FORMAT } from '../../src/image/preprocess.js';
import { createRng } from '../../src/util/rng.js';
import { drawShape } from './copies-fixture.js';

const WIDTH = 80;
const HEIGHT = 60;

/** A colour test image, not square, so a swapped width and height would show. */
async function testImage(): Promise<Buffer> {
  const square = await drawShape('triangle', WIDTH, createRng(5));
  return sharp(square).extract({ left: 0, top: 10, width: WIDTH, height: HEIGHT }).png().toBuffer();
}

async function rgb(bytes: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(bytes)
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

/** Mean absolute difference per channel value of two same-sized images, 0-255. */
function meanDiff(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] ?? 0) - (b[i] ?? 0));
  return sum / a.length;
}

describe('copy edits', () => {
  const sameSize: CopyEdit[] = ['rotate', 'colour', 'jpeg', 'overlay'];

  for (const edit of sameSize)
    it(`${edit} keeps the size and changes the pixels`, async () => {
      const original = await testImage();
      const before = await rgb(original);
      const after = await rgb(await EDITS[edit](original, createRng(1)));
      assert.deepEqual([after.width, after.height], [WIDTH, HEIGHT]);
      const diff = meanDiff(before.data, after.data);
      assert.ok(diff > 1, `${edit} changed the pixels by ${diff.toFixed(2)} on average`);
    });

  it('crop keeps 90-97% of each side', async () => {
    const original = await testImage();
    for (let seed = 0; seed < 5; seed++) {
      const { width, height } = await rgb(await EDITS.crop(original, createRng(seed)));
      for (const [got, full] of [
        [width, WIDTH],
        [height, HEIGHT],
      ] as const) {
        assert.ok(
          got >= Math.floor(full * (1 - MAX_CROP_SHARE)) && got <= Math.ceil(full * 0.97),
          `${got} of ${full}`,
        );
      }
    }
  });

  it(`downscale divides each side by ${DOWNSCALE_FACTOR}`, async () => {
    const { width, height } = await rgb(await EDITS.downscale(await testImage(), createRng(1)));
    assert.deepEqual([width, height], [WIDTH / DOWNSCALE_FACTOR, HEIGHT / DOWNSCALE_FACTOR]);
  });

  it('the original control keeps every pixel', async () => {
    const original = await testImage();
    const after = await rgb(await EDITS.original(original, createRng(1)));
    assert.deepEqual(after, await rgb(original));
  });

  it('repeats exactly for a seed, and another seed draws other amounts', async () => {
    const original = await testImage();
    for (const edit of ['crop', 'rotate', 'colour', 'overlay'] as const) {
      const a = await EDITS[edit](original, createRng(3));
      assert.ok(a.equals(await EDITS[edit](original, createRng(3))), `${edit} repeats`);
      assert.ok(!a.equals(await EDITS[edit](original, createRng(4))), `${edit} differs for another seed`);
    }
  });

  it('every edit of a grayscale 28 x 28 item decodes as an upload', async () => {
    const px = new Uint8Array(28 * 28).map((_, i) => (i % 28 > 8 && i % 28 < 20 ? 220 : 0));
    const png = await sharp(Buffer.from(px), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    for (const edit of COPY_EDITS) {
      const gray = await decodeImage(await EDITS[edit](png, createRng(2)), IDX_FORMAT, { what: edit });
      assert.equal(gray.length, 28 * 28, edit);
    }
  });
});

describe('copy sample and recall', () => {
  it('samples distinct database ids, the same for a seed, all when fewer', () => {
    const ids = sampleItems(100, 30, 15);
    assert.equal(new Set(ids).size, 30);
    assert.ok(ids.every((id) => id >= 0 && id < 100));
    assert.deepEqual(ids, sampleItems(100, 30, 15));
    assert.notDeepEqual(ids, sampleItems(100, 30, 16));
    assert.deepEqual([...sampleItems(5, 30, 15)].sort(), [0, 1, 2, 3, 4]);
  });

  it('counts the original first for recall@1 and anywhere in the first 10 for recall@10', () => {
    const k = 10;
    const rows = [
      [7, 1, 2, 3, 4, 5, 6, 8, 9, 10], // original 7 first
      [1, 2, 3, 4, 5, 6, 8, 9, 10, 7], // original 7 tenth
      [1, 2, 3, 4, 5, 6, 8, 9, 10, 11], // original 7 missing
      [3, 7, 0, 1, 2, 4, 5, 6, 8, 9], // original 3 first
    ];
    const result: KnnResult = {
      k,
      count: rows.length,
      ids: Int32Array.from(rows.flat()),
      distances: new Float32Array(rows.length * k),
    };
    assert.deepEqual(recallOfOriginals(result, Int32Array.from([7, 7, 7, 3])), {
      recall1: 0.5,
      recall10: 0.75,
    });
  });
});
