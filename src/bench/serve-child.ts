/**
 * The server under load runs in its own process, as a user runs it: `aesearch start --port 0`, which
 * trains and indexes first when the index folder is empty (its progress is passed through to stderr).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../config.js';

/** A server process and its address. */
export interface ServerChild {
  readonly url: string;
  readonly pid: number;
  /** CPU seconds and RSS of the server's processes (primary and workers); null where there is no /proc. */
  figures(): { cpuSeconds: number; rssBytes: number } | null;
  /** SIGINT, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code if the process ends. */
  readonly exited: Promise<number | null>;
}

/** The built CLI (npm run build). */
export const CLI_PATH = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');

interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** user + system CPU, in seconds */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    // Fields after the command name, from the 3rd: ppid is 4th, utime/stime 14th/15th (ticks of 1/100 s), rss 24th (pages).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    return { pid, ppid: Number(f[1]), cpuSeconds: ticks / 100, rssBytes: Number(f[21]) * 4096 };
  } catch {
    return undefined;
  }
}

/** CPU and RSS of `pid` and its children (the cluster's workers), from /proc; null where there is none. */
function processTreeFigures(pid: number): { cpuSeconds: number; rssBytes: number } | null {
  const root = readStat(pid);
  if (!root) return null;
  const children = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is ProcStat => s !== undefined && s.ppid === pid);
  return [root, ...children].reduce(
    (sum, s) => ({ cpuSeconds: sum.cpuSeconds + s.cpuSeconds, rssBytes: sum.rssBytes + s.rssBytes }),
    { cpuSeconds: 0, rssBytes: 0 },
  );
}

/**
 * Starts `aesearch start` with `args` and `nodeArgs`; resolves once it serves: it logged its URL, and,
 * with `workers` > 1, that every worker listens.
 */
export function startServerChild(
  args: readonly string[],
  workers: number,
  nodeArgs: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const ready = workers > 1 ? /server processes share (http:\/\/\S+)/ : /listening on (http:\/\/\S+)/;
  const child: ChildProcess = spawn(
    process.execPath,
    [...nodeArgs, CLI_PATH, 'start', '--port', '0', '--host', '127.0.0.1', ...args],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let text = '';
    let found = false;
    child.stderr?.on('data', (chunk: Buffer) => {
      const s = chunk.toString();
      // Request lines are left out; start-up, training and reload lines are worth seeing.
      if (!found || !/^[A-Z]+ \//m.test(s)) process.stderr.write(s.replace(/^[A-Z]+ \/.*\n/gm, ''));
      if (found) return;
      text += s;
      const url = ready.exec(text)?.[1];
      if (!url) return;
      found = true;
      const pid = child.pid ?? 0;
      resolve({
        url,
        pid,
        figures: () => processTreeFigures(pid),
        stop: () => {
          child.kill('SIGINT');
          return exited;
        },
        exited,
      });
    });
    void exited.then((code) => {
      if (!found) reject(new Error(`the server exited with ${code} before listening:\n${text}`));
    });
  });
}
