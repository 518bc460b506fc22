/**
 * `aesearch serve --workers 2`: one process per core. The workers share the port and answer searches,
 * an admin reload sent to one reaches the other, SIGTERM closes every worker and exits 0, and a broken
 * index stops the start with exit 1 and one error line (not one per worker).
 */
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, startCli } from '../helpers/cli.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

const ENV = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'), AESEARCH_ADMIN_TOKEN: 'open-sesame-0123456789' };

describe('serving from two processes', { timeout: 180_000 }, () => {
  const fx = useTinyScratch();

  it('answers from both workers, passes an admin reload on, and exits 0 on SIGTERM', async () => {
    const run = startCli(['serve', '--port', '0', '--workers', '2', '--index-dir', fx.tiny.indexDir], ENV);
    try {
      const [, url] = await run.waitFor(/\n2 server processes share (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      assert.equal(run.stderr().match(/^backend: /gm)?.length, 1, 'one backend line');
      assert.equal(run.stderr().match(/^listening on /gm)?.length, 1, 'one listening line');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`${url}api/items/5/similar?k=2`).then((r) => r.status)),
      );
      assert.deepEqual(answers, Array(8).fill(200));
      const reload = await fetch(`${url}api/admin/reload`, {
        method: 'POST',
        headers: { authorization: 'Bearer open-sesame-0123456789' },
      });
      assert.equal(reload.status, 200, await reload.clone().text());
      await run.waitFor(/reloaded \(POST \/api\/admin\/reload\): now serving /);
      await run.waitFor(/reloaded \(POST \/api\/admin\/reload, via another process\): now serving /);
    } finally {
      run.child.kill('SIGTERM');
    }
    assert.equal(await run.exited, 0, run.stderr());
    assert.match(run.stderr(), /SIGTERM: closing the server\n$/);
  });

  it('does not start on a broken index: exit 1 and one error line', async () => {
    const indexDir = join(fx.scratch.dir, 'broken');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    await writeFile(join(indexDir, 'manifest.json'), '{ "dir": 1 }');
    const run = await runCli(['serve', '--port', '0', '--workers', '2', '--index-dir', indexDir], ENV);
    assert.equal(run.code, 1);
    assert.deepEqual(run.stderr.trimEnd().split('\n').slice(1), [
      `aesearch: ${indexDir}/manifest.json cannot be loaded (its field "version" should be 2 but is missing); run \`aesearch index\` to rebuild it`,
    ]);
    // An empty folder fails at once, so the worker's backend and error lines tend to arrive together.
    const empty = join(fx.scratch.dir, 'empty');
    await mkdir(empty);
    const bare = await runCli(['serve', '--port', '0', '--workers', '2', '--index-dir', empty], ENV);
    assert.equal(bare.code, 1);
    const lines = bare.stderr.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^backend: /);
    assert.deepEqual(lines.slice(1), [
      `aesearch: No trained model at ${empty}/model.json; run \`aesearch train\` first`,
    ]);
  });
});
