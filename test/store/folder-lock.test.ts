/**
 * The index folder's lock: one holder at a time, refused with the holder named, a lock whose process is
 * gone taken over by exactly one of the processes that find it, waiting when asked, and a release that
 * removes only its own lock.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isAesearchError } from '../../src/errors.js';
import { acquireFolderLock, LOCK_FILE, type LockHolder } from '../../src/store/folder-lock.js';
import { tempDir } from '../helpers/fixtures.js';

/** The pid of a process that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  assert.ok(pid);
  return pid;
}

/** Today at 12:01:02 local time, as the lock file stores it. */
function todayAt120102(): string {
  const t = new Date();
  t.setHours(12, 1, 2, 0);
  return t.toISOString();
}

async function writeLock(dir: string, holder: LockHolder): Promise<void> {
  await writeFile(join(dir, LOCK_FILE), JSON.stringify(holder));
}

async function lockOnDisk(dir: string): Promise<LockHolder & { token?: string }> {
  return JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as LockHolder;
}

function isLockedBy(dir: string, holder: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(isAesearchError(err, 'INDEX_LOCKED'), String(err));
    assert.equal(err.message, `${dir} is being changed by ${holder}; wait for it to finish or pass --wait`);
    return true;
  };
}

/** The lock of an `aesearch index` started at 12:01:02 today by a process that is gone. */
function staleIndexHolder() {
  return { pid: deadPid(), host: hostname(), command: 'aesearch index', startedAt: todayAt120102() };
}

describe('acquireFolderLock', () => {
  it('writes pid, host, command and start time, refuses a second taker naming the holder, and releases', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const lock = await acquireFolderLock(dir, { command: 'aesearch index' });
      const onDisk = await lockOnDisk(dir);
      assert.equal(onDisk.pid, process.pid);
      assert.equal(onDisk.host, hostname());
      assert.equal(onDisk.command, 'aesearch index');
      assert.deepEqual(lock.holder, {
        pid: process.pid,
        host: hostname(),
        command: 'aesearch index',
        startedAt: onDisk.startedAt,
      });
      await assert.rejects(
        acquireFolderLock(dir, { command: 'aesearch train' }),
        isLockedBy(dir, `\`aesearch index\` (pid ${process.pid}, since ${hms(onDisk.startedAt)})`),
      );
      lock.release();
      lock.release();
      assert.deepEqual(await readdir(dir), []);
      (await acquireFolderLock(dir, { command: 'aesearch train' })).release();
    } finally {
      await cleanup();
    }
  });

  it('names the start time, and the host when it is another one (whose pid it cannot check)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeLock(dir, {
        pid: process.pid,
        host: hostname(),
        command: 'aesearch train',
        startedAt: todayAt120102(),
      });
      await assert.rejects(
        acquireFolderLock(dir, { command: 'aesearch index' }),
        isLockedBy(dir, `\`aesearch train\` (pid ${process.pid}, since 12:01:02)`),
      );
      await writeLock(dir, {
        pid: deadPid(),
        host: 'other-host',
        command: 'aesearch index',
        startedAt: todayAt120102(),
      });
      const { pid } = await lockOnDisk(dir);
      await assert.rejects(
        acquireFolderLock(dir, { command: 'aesearch index' }),
        isLockedBy(dir, `\`aesearch index\` (pid ${pid} on other-host, since 12:01:02)`),
      );
    } finally {
      await cleanup();
    }
  });

  it('takes over the lock of a process that is gone, and reports it', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const stale = staleIndexHolder();
      await writeLock(dir, stale);
      const reports: (LockHolder | null)[] = [];
      const lock = await acquireFolderLock(dir, {
        command: 'aesearch train',
        onTakeOver: (h) => reports.push(h),
      });
      assert.deepEqual(reports, [stale]);
      assert.equal((await lockOnDisk(dir)).pid, process.pid);
      lock.release();
      assert.deepEqual(await readdir(dir), []);
    } finally {
      await cleanup();
    }
  });

  it('gives a stale lock to exactly one of eight takers at once', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeLock(dir, staleIndexHolder());
      const tries = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => acquireFolderLock(dir, { command: `taker ${i}` })),
      );
      const won = tries.filter((t) => t.status === 'fulfilled');
      assert.equal(won.length, 1);
      const winner = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireFolderLock>>>).value;
      for (const t of tries) {
        if (t.status === 'rejected') {
          isLockedBy(
            dir,
            `\`${winner.holder.command}\` (pid ${process.pid}, since ${hms(winner.holder.startedAt)})`,
          )(t.reason);
        }
      }
      assert.deepEqual(await readdir(dir), [LOCK_FILE]);
      winner.release();
    } finally {
      await cleanup();
    }
  });

  it('leaves a stale lock alone while a live process holds the takeover guard', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const stale = staleIndexHolder();
      await writeLock(dir, stale);
      const guard = join(dir, '.lock.takeover');
      await writeFile(guard, JSON.stringify({ ...stale, pid: process.pid, command: 'another taker' }));
      let settled = false;
      const taking = acquireFolderLock(dir, { command: 'aesearch train' }).finally(() => {
        settled = true;
      });
      // many takeover attempts happen meanwhile; each must see the guard and leave the lock as it is
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(settled, false);
      assert.deepEqual(await lockOnDisk(dir), stale);
      await rm(guard);
      const lock = await taking;
      assert.equal((await lockOnDisk(dir)).command, 'aesearch train');
      lock.release();
    } finally {
      await cleanup();
    }
  });

  it('takes over a file that is no lock, and a takeover guard its process left', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, LOCK_FILE), '{"pid": 12');
      await writeFile(
        join(dir, '.lock.takeover'),
        JSON.stringify({ pid: deadPid(), host: hostname(), command: 'x', startedAt: todayAt120102() }),
      );
      const reports: (LockHolder | null)[] = [];
      const lock = await acquireFolderLock(dir, {
        command: 'aesearch index',
        onTakeOver: (h) => reports.push(h),
      });
      assert.deepEqual(reports, [null]);
      assert.deepEqual(await readdir(dir), [LOCK_FILE]);
      lock.release();
    } finally {
      await cleanup();
    }
  });

  it('with wait, reports the holder once and takes the lock when it is released', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const first = await acquireFolderLock(dir, { command: 'aesearch train' });
      let waitingFor: (holder: LockHolder) => void = () => {};
      const waiting = new Promise<LockHolder>((resolve) => {
        waitingFor = resolve;
      });
      const reports: LockHolder[] = [];
      const second = acquireFolderLock(dir, {
        command: 'aesearch index',
        wait: true,
        pollMs: 10,
        onWait: (h) => {
          reports.push(h);
          waitingFor(h);
        },
      });
      assert.deepEqual(await waiting, first.holder);
      // a few more polls happen meanwhile; the holder is reported once
      await new Promise((r) => setTimeout(r, 50));
      first.release();
      const lock = await second;
      assert.deepEqual(reports, [first.holder]);
      assert.equal((await lockOnDisk(dir)).command, 'aesearch index');
      lock.release();
    } finally {
      await cleanup();
    }
  });

  it('releases only its own lock', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const lock = await acquireFolderLock(dir, { command: 'aesearch index' });
      const other = { ...(await lockOnDisk(dir)), token: 'someone-else' };
      await writeFile(join(dir, LOCK_FILE), JSON.stringify(other));
      lock.release();
      assert.deepEqual(await lockOnDisk(dir), other);
    } finally {
      await cleanup();
    }
  });
});

/** HH:MM:SS of an ISO time, local. */
function hms(iso: string): string {
  const t = new Date(iso);
  return [t.getHours(), t.getMinutes(), t.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}
