/**
 * `aesearch serve --workers 2`: one process per core. The workers share the port and answer searches,
 * an admin reload sent to one reaches the other, SIGTERM closes every worker and exits 0, and a broken
 * index stops the start with exit 1 and one error line (not one per worker).
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/config.js';
import { runCli } from '../helpers/cli.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

const ENV = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'), AESEARCH_ADMIN_TOKEN: 'sesame' };

function serveWorkers(indexDir: string): {
  child: ChildProcessWithoutNullStreams;
  stderr(): string;
  until(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
} {
  const args = ['--import', 'tsx', join(PACKAGE_ROOT, 'src/cli/main.ts'), 'serve', '--port', '0'];
  const child = spawn(process.execPath, [...args, '--workers', '2', '--index-dir', indexDir], {
    env: { ...process.env, ...ENV },
    cwd: PACKAGE_ROOT,
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const until = async (pattern: RegExp) => {
    for (;;) {
      const match = stderr.match(pattern);
      if (match) return match;
      if (child.exitCode !== null) throw new Error(`exited before ${pattern}:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, stderr: () => stderr, until, exited };
}

describe('serving from two processes', { timeout: 120_000 }, () => {
  const fx = useTinyScratch();

  it('answers from both workers, passes an admin reload on, and exits 0 on SIGTERM', async () => {
    const run = serveWorkers(fx.tiny.indexDir);
    try {
      const [, url] = await run.until(/\n2 server processes share (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      assert.equal(run.stderr().match(/^backend: /gm)?.length, 1, 'one backend line');
      assert.equal(run.stderr().match(/^listening on /gm)?.length, 1, 'one listening line');
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => fetch(`${url}api/items/5/similar?k=2`).then((r) => r.status)),
      );
      assert.deepEqual(answers, Array(8).fill(200));
      const reload = await fetch(`${url}api/admin/reload`, {
        method: 'POST',
        headers: { authorization: 'Bearer sesame' },
      });
      assert.equal(reload.status, 200, await reload.clone().text());
      await run.until(/reloaded \(POST \/api\/admin\/reload\): now serving /);
      await run.until(/reloaded \(POST \/api\/admin\/reload, via another process\): now serving /);
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
      `aesearch: ${indexDir}/manifest.json cannot be loaded (its field "dir" is missing or not a string); run \`aesearch index\` to rebuild it`,
    ]);
  });
});
