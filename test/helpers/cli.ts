/** Runs the aesearch CLI from source in a child process: to completion, or as a server to talk to. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/config.js';

/** What a CLI run printed and how it exited. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI's entry point, relative to the package root. */
const CLI_SCRIPT = 'src/cli/main.ts';

function spawnScript(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', join(PACKAGE_ROOT, script), ...args], {
    env: { ...process.env, ...env },
    cwd: PACKAGE_ROOT,
  });
}

/** Runs `aesearch ...args` with extra environment variables. */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<CliRun> {
  return runScript(CLI_SCRIPT, args, env);
}

/** Runs a TypeScript file of the package (path relative to its root) from source, to completion. */
export function runScript(
  script: string,
  args: readonly string[] = [],
  env: Record<string, string> = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnScript(script, args, env);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A running CLI process and its stderr so far. */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/** Starts `aesearch ...args` with extra environment variables and returns at once (stdout is dropped). */
export function startCli(args: readonly string[], env: Record<string, string> = {}): RunningCli {
  const child = spawnScript(CLI_SCRIPT, args, env);
  let stderr = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpMatchArray) => void }[] = [];
  child.stderr.on('data', (d) => {
    stderr += d;
    for (const w of [...waiters]) {
      const match = stderr.match(w.pattern);
      if (match) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(match);
      }
    }
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const waitFor = (pattern: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const match = stderr.match(pattern);
      if (match) return resolve(match);
      waiters.push({ pattern, resolve });
      exited.then((code) => reject(new Error(`exited ${code} before ${pattern}:\n${stderr}`)));
    });
  return { child, stderr: () => stderr, waitFor, exited };
}
