/**
 * `aesearch serve --workers 2` with a changing collection: an image added through the shared port is
 * found by whichever worker answers within a second, and a removed one is answered by neither.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadDataset } from '../../src/dataset/load.js';
import { startCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

const TOKEN = 'workers-token-0123456789';
const ENV = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'), AESEARCH_ADMIN_TOKEN: TOKEN };

/** The top code-space hit of `png` from 8 searches at once (new connections, so both workers answer). */
async function topHits(url: string, png: Buffer): Promise<number[]> {
  return Promise.all(
    Array.from({ length: 8 }, async () => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(png)]), 'q.png');
      const res = await fetch(`${url}api/search?k=1&space=code`, { method: 'POST', body: form });
      const body = (await res.json()) as { spaces: { code: { results: { id: number }[] } } };
      return body.spaces.code.results[0]?.id ?? -1;
    }),
  );
}

describe('a changing collection served by two processes', { timeout: 900_000 }, () => {
  const fx = useTinyScratch();

  it('answers with an added item from both workers within a second, and never with a removed one', async () => {
    const indexDir = join(fx.scratch.dir, 'index');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const more = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 320 });
    const png = pngOf(more.database.pixels.subarray(315 * 784, 316 * 784));
    const run = startCli(['serve', '--port', '0', '--workers', '2', '--index-dir', indexDir], ENV);
    try {
      const [, found] = await run.waitFor(/\n2 server processes share (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      const url = found ?? '';
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(png)]), 'added.png');
      const added = await fetch(`${url}api/items`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: form,
      });
      assert.equal(added.status, 201, await added.clone().text());
      const id = ((await added.json()) as { added: { id: number }[] }).added[0]?.id ?? -1;
      const started = Date.now();
      let hits = await topHits(url, png);
      while (hits.some((hit) => hit !== id) && Date.now() - started < 5000) hits = await topHits(url, png);
      assert.deepEqual(hits, Array(8).fill(id), 'every worker answers with the added item');

      const removed = await fetch(`${url}api/items/${id}`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(removed.status, 204);
      await new Promise((r) => setTimeout(r, 1000));
      assert.ok(!(await topHits(url, png)).includes(id), 'no worker answers with the removed item');
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
