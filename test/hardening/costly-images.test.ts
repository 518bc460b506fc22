/**
 * Costly images under the pixel cap, with real files made by sharp (flat colour, so small on disk):
 * ordinary photos decode (a 50-megapixel JPEG shrinks while it decodes); a 16-bit interlaced PNG of
 * 6,000 x 6,000 is refused from its header without taking a decode slot; a costly image that fits the
 * budget decodes in its own lane while ordinary uploads go on, the next costly one waits, and past the
 * costly line's bound the answer is 503 DECODE_BUSY. Ordering is asserted, never time: the costly
 * decode is held in its slot until the test lets it go.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import request from 'supertest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import { WorkQueue } from '../../src/http/work-queue.js';
import { DEFAULT_DECODE_BUDGET } from '../../src/image/decode-budget.js';
import { DecodeSlots } from '../../src/image/decode-slots.js';
import { pngOf } from '../helpers/fixtures.js';
import { expectApiError, TEST_BACKEND } from '../helpers/http.js';
import { listenApp } from '../helpers/listen.js';
import { useTinyApp } from '../helpers/suite.js';

const MIB = 1024 * 1024;

function flat(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 190, b: 180 } } });
}

/** Decode slots whose costly decodes wait, inside their slot, until `release()`; counts every run. */
class HeldSlots extends DecodeSlots {
  runs = 0;
  private gate = Promise.resolve();
  private open = () => {};

  hold(): void {
    this.gate = new Promise((r) => {
      this.open = r;
    });
  }

  release(): void {
    this.open();
  }

  override run<T>(costly: boolean, image: string, work: () => Promise<T>): Promise<T> {
    this.runs++;
    const gate = this.gate;
    return super.run(costly, image, async () => {
      if (costly) await gate;
      return work();
    });
  }
}

describe('costly images', () => {
  const fx = useTinyApp();
  const images = {} as Record<
    'photo50mp' | 'screenshot' | 'scan' | 'png16i' | 'progressive' | 'small',
    Buffer
  >;

  before(async () => {
    const [photo50mp, screenshot, scan, png16i, progressive] = await Promise.all([
      flat(8160, 6120).jpeg({ quality: 90 }).toBuffer(),
      flat(3840, 2160).png().toBuffer(),
      flat(5000, 7000).toColourspace('b-w').jpeg().toBuffer(),
      flat(6000, 6000).toColourspace('rgb16').png({ progressive: true, compressionLevel: 1 }).toBuffer(),
      flat(5000, 5000).jpeg({ progressive: true }).toBuffer(),
    ]);
    Object.assign(images, { photo50mp, screenshot, scan, png16i, progressive });
    images.small = await pngOf(await fx.service.itemPixels(9));
  });

  /** An app on the tiny index whose queue decodes in `slots`, within `budget`. */
  const appWith = (slots: DecodeSlots, budget = DEFAULT_DECODE_BUDGET) =>
    createApp(
      fixedProvider(fx.service, TEST_BACKEND),
      { maxUploadBytes: 10 * MIB, publicDir: join(PACKAGE_ROOT, 'public') },
      { queue: new WorkQueue(64, { budget, slots }) },
    );

  it('searches ordinary photos: a 50-megapixel JPEG, a 4K PNG screenshot, a 5,000 x 7,000 gray scan', async () => {
    for (const name of ['photo50mp', 'screenshot', 'scan'] as const) {
      assert.ok(images[name].length < 1024 * 1024, `${name} is small on disk`);
      const res = await request(fx.app).post('/api/search?k=2').attach('image', images[name], 'photo');
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.spaces.code.results.length, 2);
    }
  });

  it('refuses a 16-bit interlaced 6,000 x 6,000 PNG from its header, without taking a decode slot', async () => {
    assert.ok(images.png16i.length < 4 * MIB, 'small on disk');
    const slots = new HeldSlots();
    const res = await request(appWith(slots)).post('/api/search').attach('image', images.png16i, 'big.png');
    expectApiError(
      res,
      413,
      'IMAGE_TOO_COSTLY',
      'Expected an image that decodes within the server\'s budget in field "image" but received a 16-bit interlaced PNG of 6,000 x 6,000 pixels, which means decoding ~412 MB of pixel data (the limit is 256 MB); refused before decoding, save it as an 8-bit, non-interlaced PNG, or send it at most 4,729 x 4,729 pixels',
    );
    assert.equal(slots.runs, 0, 'refused before any decode slot');
  });

  it('refuses by the configured memory budget (AESEARCH_MAX_DECODE_BYTES), naming it', async () => {
    const app = createApp(fixedProvider(fx.service, TEST_BACKEND), {
      maxUploadBytes: 10 * MIB,
      publicDir: join(PACKAGE_ROOT, 'public'),
      maxDecodeBytes: 64 * MIB,
    });
    const res = await request(app).post('/api/search').attach('image', images.progressive, 'p.jpg');
    expectApiError(
      res,
      413,
      'IMAGE_TOO_COSTLY',
      'Expected an image that decodes within the server\'s budget in field "image" but received a progressive JPEG of 5,000 x 5,000 pixels, which needs ~72 MB of decoder memory (the limit is 64 MB); refused before decoding, save it as a baseline (non-progressive) JPEG, or send it at most 4,729 x 4,729 pixels',
    );
  });

  it('decodes a costly image in its own lane while ordinary uploads go on; the next waits, the one after is refused', async () => {
    const slots = new HeldSlots({ slots: 2, costlySlots: 1, costlyWaiting: 1 });
    const listening = await listenApp(appWith(slots));
    const upload = async (bytes: Buffer) => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(bytes)]), 'q');
      const res = await fetch(`${listening.url}api/search?k=1`, { method: 'POST', body: form });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    };
    const settled: string[] = [];
    try {
      slots.hold();
      const first = upload(images.progressive).then((r) => {
        settled.push('costly 1');
        return r;
      });
      while (slots.state.costlyRunning < 1) await new Promise((r) => setTimeout(r, 5));
      const second = upload(images.progressive).then((r) => {
        settled.push('costly 2');
        return r;
      });
      while (slots.state.costlyWaiting < 1) await new Promise((r) => setTimeout(r, 5));

      for (const bytes of [images.small, images.scan, images.small]) {
        const res = await upload(bytes);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        settled.push('ordinary');
      }
      const refused = await upload(images.progressive);
      assert.equal(refused.status, 503);
      assert.equal(refused.retryAfter, '1');
      assert.equal(refused.body.error.code, 'DECODE_BUSY');
      assert.match(
        refused.body.error.message,
        /already decoding or queueing 2 costly images, its limit, and a progressive JPEG of 5,000 x 5,000 pixels is another/,
      );
      assert.deepEqual(slots.state, { running: 1, costlyRunning: 1, waiting: 1, costlyWaiting: 1 });

      slots.release();
      assert.equal((await first).status, 200);
      assert.equal((await second).status, 200);
      assert.deepEqual(settled, ['ordinary', 'ordinary', 'ordinary', 'costly 1', 'costly 2']);
    } finally {
      slots.release();
      await listening.close();
    }
  });
});
