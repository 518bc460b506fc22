/**
 * 2,000 random and mutated uploads against the real server (listening on a free port, in this process so
 * tfjs's tensor count can be read): every answer is 2xx or 4xx, the server keeps answering, and tensors
 * and memory end where they began (RSS within a small slack, after a warm-up run and a GC).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as tf from '@tensorflow/tfjs';
import { runFuzz } from '../../src/bench/fuzz.js';
import { jpegOf, oddImages } from '../helpers/bad-images.js';
import { pngOf } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

/** Uploads in the run. */
const COUNT = 2000;

/** RSS may move this much between two quiet moments (allocator pools, sharp's and V8's caches). */
const RSS_SLACK_BYTES = 48 * 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function settle(): Promise<{ rss: number; tensors: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  return { rss: process.memoryUsage.rss(), tensors: tf.memory().numTensors };
}

describe('upload fuzzing', { timeout: 120_000 }, () => {
  let tiny: TinyIndex;
  let server: TestServer;
  let seeds: Uint8Array[];

  before(async () => {
    tiny = await buildTinyIndex();
    server = await startTestServer(tiny.indexDir);
    const items = [3, 42, 77].map((id) => tiny.dataset.database.pixels.subarray(id * 784, (id + 1) * 784));
    seeds = [
      ...(await Promise.all(items.map((px) => pngOf(px)))),
      await jpegOf(items[0] as Uint8Array),
      ...Object.values(await oddImages(items[1] as Uint8Array)),
    ];
  });
  after(async () => {
    await server.close();
    await tiny.cleanup();
  });

  it(`answers ${COUNT} fuzzed uploads with 2xx or 4xx only, leaking no tensors or memory`, async () => {
    const warm = await runFuzz(server.url, seeds, { count: 300, seed: 7 });
    assert.deepEqual(warm.failures, []);
    const start = await settle();
    const report = await runFuzz(server.url, seeds, { count: COUNT, seed: 1 });
    assert.deepEqual(report.failures, []);
    const statuses = Object.keys(report.statuses).map(Number);
    assert.ok(statuses.includes(200) && statuses.some((s) => s >= 400), JSON.stringify(report.statuses));
    const health = await fetch(`${server.url}api/health`);
    assert.equal(health.status, 200, 'the server still answers');
    const end = await settle();
    assert.equal(end.tensors, start.tensors, 'no tensor leaked');
    assert.ok(
      end.rss - start.rss < RSS_SLACK_BYTES,
      `RSS grew by ${((end.rss - start.rss) / 2 ** 20).toFixed(1)} MB (statuses ${JSON.stringify(report.statuses)})`,
    );
  });
});
