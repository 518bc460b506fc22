/**
 * The server as a person runs it: `aesearch start` on an empty index folder trains, indexes and serves
 * (on a small image folder, to stay quick); `aesearch serve` serves a built index; both log the backend,
 * dataset, item count and URL, log one line per request, and exit 0 on SIGTERM or SIGINT.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { slowUpload, until, uploadsInFlight } from '../helpers/listen.js';
import { useTinyScratch } from '../helpers/suite.js';
import type { TinyIndex } from '../helpers/tiny-index.js';

/** A folder dataset of 40 bundled images in two labelled sub-folders. */
async function writeImageFolder(tiny: TinyIndex, root: string): Promise<void> {
  const { database, classNames } = tiny.dataset;
  const wanted = [1, 8];
  let written = 0;
  for (let id = 0; id < database.count && written < 40; id++) {
    const label = database.labels?.[id] ?? -1;
    if (!wanted.includes(label)) continue;
    const dir = join(root, classNames?.[label] ?? String(label));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${id}.png`), await pngOf(database.pixels.subarray(id * 784, (id + 1) * 784)));
    written++;
  }
}

// Each CLI run loads tfjs and an index, and `start` trains: minutes on a busy machine.
describe('aesearch serve and start', { timeout: 600_000 }, () => {
  const fx = useTinyScratch();

  it('serve: logs what it serves and where, answers, logs requests, and exits 0 on SIGTERM', async () => {
    const run = startCli(['serve', '--port', '0', '--index-dir', fx.tiny.indexDir], {
      AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'),
    });
    try {
      const [, url] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      assert.match(run.stderr(), /^backend: \w+/);
      assert.match(
        run.stderr(),
        /\nserving 300 items of fashion-mnist \(dense autoencoder, code 8\) on \w+\n/,
      );
      const health = await fetch(`${url}api/health`);
      assert.equal(health.status, 200);
      assert.equal(((await health.json()) as { items: number }).items, 300);
      await run.waitFor(/GET \/api\/health 200 \d+\.\d ms\n/);
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exited, 0);
    assert.match(run.stderr(), /SIGTERM: closing the server\n$/);
  });

  it('serve: on SIGTERM stops accepting, finishes a slow upload in flight with 200, and exits 0', async () => {
    const run = startCli(['serve', '--port', '0', '--index-dir', fx.tiny.indexDir], {
      AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'),
      // A loaded machine must not turn the half-sent upload into a 408.
      AESEARCH_UPLOAD_GRACE_SECONDS: '3600',
    });
    const [, url = ''] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/)\n/);
    const png = await pngOf(fx.tiny.dataset.database.pixels.subarray(0, 784));
    const upload = slowUpload(url, png, 16);
    await until('the upload in flight', async () => (await uploadsInFlight(url)).count === 1);
    run.child.kill('SIGTERM');
    await run.waitFor(/SIGTERM: closing the server\n/);
    await assert.rejects(fetch(`${url}api/health`), 'no new connections are accepted');
    const res = await upload.finish();
    assert.equal(res.status, 200, res.body);
    assert.equal(
      (JSON.parse(res.body) as { spaces: { code: { results: unknown[] } } }).spaces.code.results.length,
      2,
    );
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /\nPOST \/api\/search 200 [\d.]+ ms\n/);
  });

  it('start: trains and indexes an empty index folder, then serves search; SIGINT exits 0; retrains a damaged model', async () => {
    const images = join(fx.scratch.dir, 'images');
    await writeImageFolder(fx.tiny, images);
    const indexDir = join(fx.scratch.dir, 'index');
    const run = startCli(['start', '--port', '0', '--data', images, '--index-dir', indexDir], {});
    try {
      const [, url] = await run.waitFor(/listening on (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      const log = run.stderr();
      assert.match(log, /no model in .*: training one with the default settings\n/);
      // every one of the 40 images is in the collection (and trained on; the eval samples its queries from them)
      assert.match(log, /training dense autoencoder, code 32, on 40 images, 10 epochs\n/);
      assert.match(log, /epoch 10: loss /);
      assert.match(log, /collection: .*images \(40 items, seeded now\)/);
      assert.match(log, /serving 40 items of .*images \(dense autoencoder, code 32\)/);
      const form = new FormData();
      form.append(
        'image',
        new Blob([new Uint8Array(await pngOf(fx.tiny.dataset.database.pixels.subarray(0, 784)))]),
        'q.png',
      );
      const res = await fetch(`${url}api/search?k=5&space=both`, { method: 'POST', body: form });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { spaces: Record<string, { results: unknown[] }> };
      assert.equal(body.spaces.code?.results.length, 5);
      assert.equal(body.spaces.pixel?.results.length, 5);
    } finally {
      run.child.kill('SIGINT');
    }
    assert.equal(await run.exited, 0);

    const again = startCli(['start', '--port', '0', '--data', images, '--index-dir', indexDir], {});
    try {
      await again.waitFor(/listening on /);
      assert.doesNotMatch(again.stderr(), /training|indexing/, 'a built index is served as it is');
    } finally {
      again.child.kill('SIGTERM');
    }
    assert.equal(await again.exited, 0, again.stderr());

    const model = JSON.parse(await readFile(join(indexDir, 'model.json'), 'utf8')) as { dir: string };
    await rm(join(indexDir, model.dir), { recursive: true });
    const repaired = startCli(['start', '--port', '0', '--data', images, '--index-dir', indexDir], {});
    try {
      await repaired.waitFor(/listening on /);
      assert.match(
        repaired.stderr(),
        /\nThe trained model at .+ cannot be loaded \(.+encoder\/model\.json is missing\): training a new one with the default settings\n/,
      );
      assert.match(repaired.stderr(), /indexing into /);
    } finally {
      repaired.child.kill('SIGTERM');
    }
    assert.equal(await repaired.exited, 0, repaired.stderr());
  });

  it('serve: says to run aesearch train on an empty folder, aesearch index without an index, and exits 1', async () => {
    const empty = join(fx.scratch.dir, 'none');
    const run = startCli(['serve', '--port', '0', '--index-dir', empty], {});
    assert.equal(await run.exited, 1);
    assert.match(
      run.stderr(),
      /\naesearch: No trained model at .*none\/model\.json; run `aesearch train` first\n$/,
    );
    const modelOnly = join(fx.scratch.dir, 'model-only');
    await cp(fx.tiny.indexDir, modelOnly, { recursive: true });
    await rm(join(modelOnly, 'manifest.json'));
    const unindexed = startCli(['serve', '--port', '0', '--index-dir', modelOnly], {});
    assert.equal(await unindexed.exited, 1);
    assert.match(
      unindexed.stderr(),
      /\naesearch: No index at .*model-only\/manifest\.json; run `aesearch index` first\n$/,
    );
  });
});
