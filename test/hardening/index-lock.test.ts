/**
 * One writer per index folder, black-box through the CLI: two `aesearch index` started together leave a
 * loadable index (one refuses with one line naming the other, or with --wait runs after it), a lock left
 * by a killed run is taken over, `train` and `index` on one folder run one after the other, and Ctrl-C
 * releases the lock.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, readdir, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodePng } from '../../src/image/png.js';
import { readModelManifest } from '../../src/model/store.js';
import { SearchService } from '../../src/search/search-service.js';
import { LOCK_FILE } from '../../src/store/folder-lock.js';
import { readIndexManifest } from '../../src/store/manifest.js';
import { runCli, startCli } from '../helpers/cli.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

const ENV = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':') };

/** Enough images that one build is still running when the other starts. */
const INDEX_ARGS = ['--limit', '1000'];

/** `aesearch: <dir> is being changed by `<command>` (pid <pid>, since HH:MM:SS); ...` and nothing else. */
function lockedLine(dir: string, command: string, pid: number | undefined): RegExp {
  const escaped = dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(
    `^aesearch: ${escaped} is being changed by \`${command}\` \\(pid ${pid}, since \\d\\d:\\d\\d:\\d\\d\\); wait for it to finish or pass --wait\\n$`,
  );
}

/** Opens the index and checks that item 11 is its own top hit in both spaces. */
async function assertSearchable(indexDir: string): Promise<void> {
  const service = await SearchService.open(indexDir);
  try {
    const png = encodePng(await service.itemPixels(11), 28, 28, 1);
    const found = await service.searchByImage(png, { k: 1, spaces: ['code', 'pixel'] });
    assert.equal(found.spaces.code?.results[0]?.id, 11);
    assert.equal(found.spaces.pixel?.results[0]?.id, 11);
  } finally {
    await service.close();
  }
}

/** The ann folders and whether a lock is left. */
async function leftovers(indexDir: string): Promise<{ ann: number; lock: boolean }> {
  const names = await readdir(indexDir);
  return { ann: names.filter((n) => n.startsWith('ann-')).length, lock: names.includes(LOCK_FILE) };
}

/** The line a command prints once it holds the lock (and its signal handlers are in place). */
const LOCKED_AND_RUNNING = /^backend: /m;

describe('one writer per index folder', { timeout: 300_000 }, () => {
  const fx = useTinyScratch();

  async function copyOfTiny(name: string): Promise<string> {
    const indexDir = join(fx.scratch.dir, name);
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    return indexDir;
  }

  it('two `aesearch index` started together: one builds, the other refuses with one line naming it', async () => {
    const indexDir = await copyOfTiny('together');
    const runs = [0, 1].map(() => startCli(['index', '--index-dir', indexDir, ...INDEX_ARGS], ENV));
    const codes = await Promise.all(runs.map((r) => r.exited));
    assert.deepEqual([...codes].sort(), [0, 1], runs.map((r) => r.stderr()).join('\n---\n'));
    const winner = runs[codes.indexOf(0)];
    const loser = runs[codes.indexOf(1)];
    assert.match(loser?.stderr() ?? '', lockedLine(indexDir, 'aesearch index', winner?.child.pid));
    assert.deepEqual(await leftovers(indexDir), { ann: 1, lock: false });
    await assertSearchable(indexDir);
  });

  it('two `aesearch index --wait` started together: the second waits, both finish, the index loads', async () => {
    const indexDir = await copyOfTiny('together-wait');
    const runs = [0, 1].map(() => startCli(['index', '--wait', '--index-dir', indexDir, ...INDEX_ARGS], ENV));
    assert.deepEqual(await Promise.all(runs.map((r) => r.exited)), [0, 0]);
    const waited = runs.filter((r) => /waiting for `aesearch index` \(pid \d+, since /.test(r.stderr()));
    assert.equal(waited.length, 1);
    const other = runs.find((r) => r !== waited[0]);
    assert.match(
      waited[0]?.stderr() ?? '',
      new RegExp(
        `waiting for \`aesearch index\` \\(pid ${other?.child.pid}, since [\\d:]+\\) to finish with `,
      ),
    );
    assert.deepEqual(await leftovers(indexDir), { ann: 1, lock: false });
    await assertSearchable(indexDir);
  });

  it('takes over the lock a killed run left, says so, and releases it', async () => {
    const indexDir = await copyOfTiny('stale');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const startedAt = new Date();
    startedAt.setHours(12, 1, 2, 0);
    await writeFile(
      join(indexDir, LOCK_FILE),
      JSON.stringify({
        pid: dead,
        host: hostname(),
        command: 'aesearch index',
        startedAt: startedAt.toISOString(),
      }),
    );
    const run = await runCli(['index', '--index-dir', indexDir, ...INDEX_ARGS], ENV);
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `^took over the lock of ${indexDir} from \`aesearch index\` \\(pid ${dead}, since 12:01:02\\), which is no longer running$`,
        'm',
      ),
    );
    assert.deepEqual(await leftovers(indexDir), { ann: 1, lock: false });
    await assertSearchable(indexDir);
  });

  it('`train` and `index` on one folder run one after the other', async () => {
    const indexDir = await copyOfTiny('train-index');
    const train = startCli(
      [
        'train',
        '--index-dir',
        indexDir,
        '--limit',
        '300',
        '--epochs',
        '1',
        '--steps',
        '3',
        '--code-size',
        '8',
        '--hidden',
        '32',
        '--threads',
        '1',
      ],
      ENV,
    );
    await train.waitFor(LOCKED_AND_RUNNING);
    // Stopped, the trainer holds the lock for as long as the test needs.
    train.child.kill('SIGSTOP');
    try {
      const refused = await runCli(['index', '--index-dir', indexDir, ...INDEX_ARGS], ENV);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, lockedLine(indexDir, 'aesearch train', train.child.pid));
      const index = startCli(['index', '--wait', '--index-dir', indexDir, ...INDEX_ARGS], ENV);
      await index.waitFor(new RegExp(`waiting for \`aesearch train\` \\(pid ${train.child.pid}, since `));
      train.child.kill('SIGCONT');
      assert.equal(await train.exited, 0, train.stderr());
      assert.equal(await index.exited, 0, index.stderr());
    } finally {
      train.child.kill('SIGCONT');
    }
    // the index waited for the new model and was built with it
    const [model, index] = await Promise.all([readModelManifest(indexDir), readIndexManifest(indexDir)]);
    assert.equal(index.model.weightsHash, model.weightsHash);
    assert.equal(index.model.dir, model.dir);
    assert.equal((await leftovers(indexDir)).lock, false);
    await assertSearchable(indexDir);
  });

  it('SIGINT ends a locked run and releases its lock', async () => {
    const indexDir = await copyOfTiny('sigint');
    const run = startCli(['index', '--index-dir', indexDir, ...INDEX_ARGS], ENV);
    await run.waitFor(LOCKED_AND_RUNNING);
    assert.equal((await leftovers(indexDir)).lock, true);
    run.child.kill('SIGINT');
    await run.exited;
    assert.equal(run.child.signalCode, 'SIGINT');
    assert.equal((await leftovers(indexDir)).lock, false);
    await assertSearchable(indexDir);
  });
});
