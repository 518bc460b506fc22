/**
 * One writer at a time per index folder: `<dir>/.lock` holds { pid, host, command, startedAt } of the
 * process changing the folder. Every command that changes the folder takes it for its whole run
 * (`aesearch index`, `train`, `start` when it trains or indexes, and `add`, `remove`, `sync` when they
 * come):
 *
 *     const lock = await acquireFolderLock(indexDir, { command: 'aesearch add', wait });
 *     try { ...change the folder... } finally { lock.release(); }
 *
 * A CLI command does this through `withIndexLock` (cli/index-lock.ts), which also releases the lock on
 * SIGINT and SIGTERM. Readers (serve, search, eval) take no lock: the manifests are renamed into place
 * whole, and cleanup never removes a folder they name.
 *
 * The lock appears whole: its JSON goes to a temporary file that is hard-linked to `.lock`, and link
 * fails with EEXIST when `.lock` exists, so no one reads half a lock. A lock is stale when its process is
 * gone (same host, `kill(pid, 0)` fails with ESRCH) or when it is not a lock at all. A stale lock is
 * removed only by the holder of `.lock.takeover` (created the same way), after reading `.lock` again
 * under it: two processes that find the same stale lock cannot remove each other's fresh one. Only a
 * process killed inside that takeover, a few milliseconds, leaves `.lock.takeover` behind; the next run
 * removes it when its pid is gone (two runs removing the same dead guard at once is the one race left,
 * and it needs such a crash first). A lock from another host is never stale here (its pid means nothing
 * on this machine): delete the file once that process is known to be gone. Needs a filesystem with
 * hard links, as every Linux and macOS one has.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createError } from '../errors.js';
import { tempPathFor } from '../util/atomic-fs.js';
import { isProcessRunning } from '../util/process-alive.js';

/** File name of the lock inside the index folder. */
export const LOCK_FILE = '.lock';

/** Held while a stale lock is being removed. */
const TAKEOVER_FILE = '.lock.takeover';

/** How often a waiting run looks at the lock again, in ms. */
const LOCK_POLL_MS = 500;

/** Pause while another process takes a stale lock over, in ms. */
const TAKEOVER_PAUSE_MS = 20;

/** Who holds a folder's lock. */
export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  /** What it runs, e.g. "aesearch index". */
  readonly command: string;
  /** ISO time it took the lock. */
  readonly startedAt: string;
}

/** The file's content: the holder and a token only it knows, so it removes its own lock and no other. */
interface LockContent extends LockHolder {
  readonly token?: string;
}

/** A lock this process holds. */
export interface FolderLock {
  readonly dir: string;
  readonly holder: LockHolder;
  /**
   * Removes the lock when it is still this one; does nothing the second time. Synchronous, so signal
   * and exit handlers can call it.
   */
  release(): void;
}

/** How to take a lock. */
export interface LockOptions {
  /** What this process runs, shown to whoever finds the folder locked. */
  readonly command: string;
  /** Wait for the holder to finish instead of throwing INDEX_LOCKED. */
  readonly wait?: boolean;
  /** How often a waiting run looks again, in ms (default 500). */
  readonly pollMs?: number;
  /** Called when waiting begins and whenever the holder changes. */
  readonly onWait?: (holder: LockHolder) => void;
  /** Called after a stale lock was removed (null: the file was not a lock). */
  readonly onTakeOver?: (stale: LockHolder | null) => void;
}

/** "`aesearch index` (pid 1234, since 12:01:02)", with the host when it is another one. */
export function describeHolder(holder: LockHolder): string {
  const host = holder.host === hostname() ? '' : ` on ${holder.host}`;
  return `\`${holder.command}\` (pid ${holder.pid}${host}, since ${localTime(holder.startedAt)})`;
}

/** HH:MM:SS local time, with the date in front when it is not today. */
function localTime(iso: string): string {
  const t = new Date(iso);
  if (Number.isNaN(t.getTime())) return iso;
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
  if (t.toDateString() === new Date().toDateString()) return time;
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${time}`;
}

/** Creates `file` with `content` unless it exists; the file never appears half-written. */
async function createWhole(file: string, content: string): Promise<boolean> {
  const tmp = tempPathFor(file);
  try {
    await writeFile(tmp, content);
    await link(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await rm(tmp, { force: true });
  }
}

function parseLock(text: string): LockContent | null {
  try {
    const v = JSON.parse(text) as Partial<LockContent>;
    const ok =
      typeof v.pid === 'number' &&
      typeof v.host === 'string' &&
      typeof v.command === 'string' &&
      typeof v.startedAt === 'string' &&
      (v.token === undefined || typeof v.token === 'string');
    return ok ? (v as LockContent) : null;
  } catch {
    return null;
  }
}

/** The lock in `file`, null when the file is no lock, 'absent' when there is no file. */
async function readLock(file: string): Promise<LockContent | null | 'absent'> {
  try {
    return parseLock(await readFile(file, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw err;
  }
}

function holderOf({ pid, host, command, startedAt }: LockContent): LockHolder {
  return { pid, host, command, startedAt };
}

function isStale(lock: LockContent | null): boolean {
  return lock === null || (lock.host === hostname() && !isProcessRunning(lock.pid));
}

function contentFor(command: string): Required<LockContent> {
  return {
    pid: process.pid,
    host: hostname(),
    command,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
}

type TakeOver = { removed: LockHolder | null } | 'busy' | 'not-stale';

/** Removes `dir`'s lock if, read again under the takeover guard, it is still stale. */
async function removeStale(dir: string, command: string): Promise<TakeOver> {
  const guard = join(dir, TAKEOVER_FILE);
  if (!(await createWhole(guard, JSON.stringify(contentFor(command))))) {
    const other = await readLock(guard);
    if (other !== 'absent' && isStale(other)) await rm(guard, { force: true });
    return 'busy';
  }
  try {
    const current = await readLock(join(dir, LOCK_FILE));
    if (current === 'absent' || !isStale(current)) return 'not-stale';
    await rm(join(dir, LOCK_FILE), { force: true });
    return { removed: current && holderOf(current) };
  } finally {
    await rm(guard, { force: true });
  }
}

function heldLock(dir: string, content: Required<LockContent>): FolderLock {
  const file = join(dir, LOCK_FILE);
  let released = false;
  return {
    dir,
    holder: holderOf(content),
    release: () => {
      if (released) return;
      released = true;
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return; // already gone: nothing of ours to remove
      }
      if (parseLock(text)?.token === content.token) unlinkSync(file);
    },
  };
}

/**
 * Takes `dir`'s lock (making `dir` when missing), taking over a stale one. When another live process
 * holds it, throws INDEX_LOCKED naming that process, or with `wait` polls until it is free.
 */
export async function acquireFolderLock(dir: string, options: LockOptions): Promise<FolderLock> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, LOCK_FILE);
  let reported: string | undefined;
  for (;;) {
    const mine = contentFor(options.command);
    if (await createWhole(file, JSON.stringify(mine))) return heldLock(dir, mine);
    const current = await readLock(file);
    if (current === 'absent') continue;
    if (current === null || isStale(current)) {
      const outcome = await removeStale(dir, options.command);
      if (outcome === 'busy') await sleep(TAKEOVER_PAUSE_MS);
      else if (outcome !== 'not-stale') options.onTakeOver?.(outcome.removed);
      continue;
    }
    if (!options.wait) throw createError('INDEX_LOCKED', { dir, holder: describeHolder(current) });
    if (JSON.stringify(current) !== reported) {
      reported = JSON.stringify(current);
      options.onWait?.(holderOf(current));
    }
    await sleep(options.pollMs ?? LOCK_POLL_MS);
  }
}
