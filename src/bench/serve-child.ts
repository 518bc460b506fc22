/**
 * The server under load runs in its own process, as a user runs it: `aesearch start --port 0`, which
 * trains and indexes first when the index folder is empty (its progress is passed through to stderr);
 * so does the ceiling server it is measured against.
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
  /** The last line it printed but for request lines. */
  lastLine(): string;
  /** SIGINT, then waits for the exit code. */
  stop(): Promise<number | null>;
  /** Resolves with the exit code if the process ends. */
  readonly exited: Promise<number | null>;
}

/** The built CLI (npm run build). */
export const CLI_PATH = join(PACKAGE_ROOT, 'dist', 'src', 'cli', 'main.js');

/** The built ceiling server (npm run build). */
const CEILING_PATH = join(PACKAGE_ROOT, 'dist', 'src', 'bench', 'ceiling-server.js');

interface ProcStat {
  readonly pid: number;
  /** The executable's name (at most 15 characters). */
  readonly command: string;
  readonly ppid: number;
  /** user + system CPU, in seconds */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    // Fields after the command name, from the 3rd: ppid is 4th, utime/stime 14th/15th (ticks of 1/100 s), rss 24th (pages).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const command = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    return { pid, command, ppid: Number(f[1]), cpuSeconds: ticks / 100, rssBytes: Number(f[21]) * 4096 };
  } catch {
    return undefined;
  }
}

function childStats(pid: number): ProcStat[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map((name) => readStat(Number(name)))
    .filter((s): s is ProcStat => s !== undefined && s.ppid === pid);
}

/**
 * The ids of `pid`'s child processes running `command` (a cluster primary's workers: node), from /proc;
 * none where there is no /proc.
 */
export function childPids(pid: number, command = 'node'): number[] {
  try {
    return childStats(pid)
      .filter((s) => s.command === command)
      .map((s) => s.pid);
  } catch {
    return [];
  }
}

/** CPU and RSS of `pid` and its children (the cluster's workers), from /proc; null where there is none. */
function processTreeFigures(pid: number): { cpuSeconds: number; rssBytes: number } | null {
  const root = readStat(pid);
  if (!root) return null;
  return [root, ...childStats(pid)].reduce(
    (sum, s) => ({ cpuSeconds: sum.cpuSeconds + s.cpuSeconds, rssBytes: sum.rssBytes + s.rssBytes }),
    { cpuSeconds: 0, rssBytes: 0 },
  );
}

/**
 * Runs the script `script` with `args` and `nodeArgs`; resolves once its stderr matches `ready`, whose
 * first group is the URL. Its stderr is passed on, but for request lines.
 */
function spawnServer(
  script: string,
  args: readonly string[],
  ready: RegExp,
  nodeArgs: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<ServerChild> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let text = '';
    let last = '';
    let found = false;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      // Request lines are left out; start-up, training, reload and worker lines are worth seeing.
      const kept = chunk.replace(/^[A-Z]+ \/.*\n/gm, '');
      process.stderr.write(kept);
      last = kept.trimEnd().split('\n').at(-1) || last;
      if (found) return;
      text += chunk;
      const url = ready.exec(text)?.[1];
      if (!url) return;
      found = true;
      const pid = child.pid ?? 0;
      resolve({
        url,
        pid,
        figures: () => processTreeFigures(pid),
        lastLine: () => last,
        stop: () => {
          child.kill('SIGINT');
          return exited;
        },
        exited,
      });
    });
    void exited.then((code) => {
      if (!found) reject(new Error(`${script} exited with ${code} before listening:\n${text}`));
    });
  });
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
  const cli = ['start', '--port', '0', '--host', '127.0.0.1', ...args];
  return spawnServer(CLI_PATH, cli, ready, nodeArgs, env);
}

/** Starts the ceiling server (ceiling-server.ts) with `workers` processes; resolves once it listens. */
export function startCeilingChild(workers: number, nodeArgs: readonly string[] = []): Promise<ServerChild> {
  const args = ['--workers', String(workers)];
  return spawnServer(CEILING_PATH, args, /listening on (http:\/\/\S+)/, nodeArgs);
}
