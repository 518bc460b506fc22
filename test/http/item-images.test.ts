/**
 * Item images under a size sweep: every `size` from 28 to 560 rounds up to one of six steps, so a sweep
 * of 533 sizes makes at most six images per item; the cache stays within its byte cap, evicting the
 * least recently used; and no more than IMAGE_ENCODE_SLOTS images are encoded at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { LruCache } from '../../src/http/image-cache.js';
import { IMAGE_SIZE_STEPS, imageSize } from '../../src/http/params.js';
import { IMAGE_ENCODE_SLOTS, itemImages } from '../../src/http/routes/items.js';
import { appFor } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

/** Width from a PNG's IHDR chunk. */
const pngWidth = (png: Buffer) => png.readUInt32BE(16);

describe('item images', () => {
  const fx = useTinyApp();

  it('rounds every size up to one of the steps', () => {
    assert.deepEqual([...IMAGE_SIZE_STEPS], [28, 56, 112, 224, 448, 560]);
    const cases: [string, number][] = [
      ['28', 28],
      ['29', 56],
      ['56', 56],
      ['100', 112],
      ['113', 224],
      ['300', 448],
      ['449', 560],
      ['560', 560],
    ];
    for (const [size, step] of cases) assert.equal(imageSize({ size }), step, size);
    assert.equal(imageSize({}), 112);
  });

  it('answers a sweep of 533 sizes with at most 6 encodes and a cache within its byte cap', async () => {
    const cacheBytes = 64 * 1024;
    const images = itemImages(cacheBytes);
    const app = appFor(fx.service, undefined, { images });
    const service = fx.service;
    const encode = service.itemPng.bind(service);
    const encoded: number[] = [];
    let running = 0;
    let peak = 0;
    // Observes the real encoder: what it is asked for, and how many run at once.
    service.itemPng = async (id, size) => {
      encoded.push(size);
      peak = Math.max(peak, ++running);
      try {
        return await encode(id, size);
      } finally {
        running--;
      }
    };
    try {
      const sizes = Array.from({ length: 533 }, (_, i) => 28 + i);
      const widths = new Set<number>();
      for (let from = 0; from < sizes.length; from += 40) {
        const batch = sizes
          .slice(from, from + 40)
          .map((size) => request(app).get(`/api/items/5/image?size=${size}`));
        for (const res of await Promise.all(batch)) {
          assert.equal(res.status, 200);
          widths.add(pngWidth(res.body));
          assert.ok(images.cache.bytes <= cacheBytes, `cache at ${images.cache.bytes} bytes`);
        }
      }
      assert.deepEqual(
        [...widths].sort((a, b) => a - b),
        [...IMAGE_SIZE_STEPS],
      );
      assert.deepEqual(
        [...new Set(encoded)].sort((a, b) => a - b),
        [...IMAGE_SIZE_STEPS],
      );
      assert.equal(encoded.length, IMAGE_SIZE_STEPS.length, 'one encode per step');
      assert.ok(images.cache.size <= IMAGE_SIZE_STEPS.length);
      assert.ok(peak <= IMAGE_ENCODE_SLOTS, `${peak} encodes at once`);

      // Many items at once: still IMAGE_ENCODE_SLOTS encodes at a time, and the cap holds.
      encoded.length = 0;
      peak = 0;
      const burst = Array.from({ length: 60 }, (_, i) =>
        request(app).get(`/api/items/${10 + i}/image?size=560`),
      );
      for (const res of await Promise.all(burst)) assert.equal(res.status, 200);
      assert.equal(encoded.length, 60);
      assert.ok(peak <= IMAGE_ENCODE_SLOTS, `${peak} encodes at once`);
      assert.ok(images.cache.bytes <= cacheBytes);
    } finally {
      service.itemPng = encode;
    }
  });
});

describe('LruCache', () => {
  it('keeps the most recently used values within its bytes, sharing concurrent misses', async () => {
    const cache = new LruCache<Buffer>(3 * 1300, (b) => b.length);
    let made = 0;
    const make = (n: number) => async () => {
      made++;
      return Buffer.alloc(1000, n);
    };
    const [a, again] = await Promise.all([cache.get('a', make(1)), cache.get('a', make(1))]);
    assert.equal(a, again);
    assert.equal(made, 1, 'one make for two concurrent misses');
    await cache.get('b', make(2));
    await cache.get('c', make(3));
    await cache.get('a', make(1)); // a is now the most recent
    await cache.get('d', make(4)); // evicts b, the least recent
    assert.equal(cache.size, 3);
    assert.ok(cache.bytes <= 3 * 1300, `${cache.bytes}`);
    made = 0;
    await cache.get('a', make(1));
    await cache.get('b', make(2));
    assert.equal(made, 1, 'a was kept, b was made again');
  });

  it('does not keep a value larger than the whole cache, nor a failed one', async () => {
    const cache = new LruCache<Buffer>(500, (b) => b.length);
    assert.equal((await cache.get('big', async () => Buffer.alloc(1000))).length, 1000);
    assert.equal(cache.size, 0);
    assert.equal(cache.bytes, 0);
    await assert.rejects(cache.get('bad', async () => Promise.reject(new Error('no'))));
    await new Promise((r) => setImmediate(r));
    assert.equal(cache.size, 0);
  });
});
