/**
 * `aesearch serve --workers 2`: one process per core. The workers share the port and answer searches, a
 * scrape of /metrics sums both, an admin reload sent to one reaches the other, SIGTERM closes every
 * worker and exits 0, and a broken index stops the start with exit 1 and one error line (not one per
 * worker). Workers killed with SIGKILL are replaced after a back-off, and when none can start the primary
 * exits 1 with the last one's error; a message to a worker that has left the IPC channel does not end the
 * primary.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { childPids } from '../../src/bench/serve-child.js';
import { restartDelayMs } from '../../src/server/worker-pool.js';
import { runCli, runScript, startCli } from '../helpers/cli.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

const ENV = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'), AESEARCH_ADMIN_TOKEN: 'open-sesame-0123456789' };

/** `text` as a literal part of a regular expression. */
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `pattern` seen `n` times, as one pattern for `waitFor`. */
const times = (pattern: string, n: number) => new RegExp(`(?:[^]*?${pattern}){${n}}`);

describe('worker restarts', () => {
  it('waits 0.5 s after the first exit in a minute, doubling up to 8 s', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(restartDelayMs), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('survives a message to a worker that has left the IPC channel', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runScript('test/helpers/pool-primary.ts');
    assert.equal(code, 0, stderr);
    assert.equal(stdout, 'primary alive\n');
  });
});

// Each CLI run here starts two processes that load tfjs and the index: minutes on a busy machine.
describe('serving from two processes', { timeout: 900_000 }, () => {
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
      // Each scrape lands in one worker (round robin) and sums both: 8 either way, not each worker's share.
      const scrapes = await Promise.all([1, 2].map(() => fetch(`${url}metrics`).then((r) => r.text())));
      for (const text of scrapes) {
        const line = text.split('\n').find((l) => l.includes('route="/api/items/:id/similar",status="200"'));
        assert.equal(line, 'aesearch_http_requests_total{route="/api/items/:id/similar",status="200"} 8');
        assert.match(text, /^aesearch_items 300$/m, 'the largest of the workers, not their sum');
      }
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
      `aesearch: ${indexDir}/manifest.json cannot be loaded (its field "version" should be 3 but is missing); run \`aesearch index\` to rebuild it`,
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
  it('replaces workers killed with SIGKILL, six in a minute; exits 1 with the error when none can start', async () => {
    const indexDir = join(fx.scratch.dir, 'killed');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const run = startCli(['serve', '--port', '0', '--workers', '2', '--index-dir', indexDir], ENV);
    try {
      const [, url] = await run.waitFor(/\n2 server processes share (http:\/\/127\.0\.0\.1:\d+\/)\n/);
      const primary = run.child.pid ?? 0;
      for (let round = 1; round <= 3; round++) {
        const workers = childPids(primary);
        assert.equal(workers.length, 2, `round ${round}: 2 workers`);
        for (const pid of workers) process.kill(pid, 'SIGKILL');
        await run.waitFor(
          times(`server process \\d+ started and listens on ${literal(url ?? '')}\n`, 2 * round),
        );
      }
      const exits = run
        .stderr()
        .match(/server process \d+ exited with SIGKILL; .*; starting another in [\d.]+ s\n/g);
      assert.equal(exits?.length, 6, run.stderr());
      assert.match(
        exits?.[0] ?? '',
        /; (its last line: .+|it printed nothing); starting another in 0\.5 s\n$/,
      );
      assert.match(exits?.[1] ?? '', /; starting another in 1 s\n$/);
      assert.equal((await fetch(`${url}api/health`)).status, 200, 'the port answers, the same as before');

      // Replacements now fail to start, each with its error line: the primary gives up.
      await writeFile(join(indexDir, 'manifest.json'), '{ "dir": 1 }');
      for (const pid of childPids(primary)) process.kill(pid, 'SIGKILL');
      assert.equal(await run.exited, 1, run.stderr());
      const lines = run.stderr().trimEnd().split('\n');
      const error = `${indexDir}/manifest.json cannot be loaded (its field "version" should be 3 but is missing); run \`aesearch index\` to rebuild it`;
      assert.match(
        lines.at(-2) ?? '',
        new RegExp(
          `^server process \\d+ exited with code 1; its error: ${literal(error)}; starting no other: `,
        ),
      );
      assert.match(
        lines.at(-1) ?? '',
        new RegExp(
          `^aesearch: No server process is left and none is started \\(it failed to start while no other server process was serving\\); the last one, pid \\d+, exited with code 1, its error: ${literal(error)}; fix that and start again$`,
        ),
      );
      assert.equal(
        run.stderr().match(/^aesearch: /gm)?.length,
        1,
        'the error lines are printed once, by the primary',
      );
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
