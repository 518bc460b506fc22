/**
 * A cluster worker's output, as the primary passes it on: stdout as it comes, stderr line by line but for
 * the worker's `aesearch: ...` line (what main.ts prints when a command fails), which is kept for the
 * primary to print once, in its own words: as the command's error when the worker fails to start, or in
 * the line that reports the worker's exit. The head of an uncaught exception and the last line are kept
 * too, for a worker that dies without an error line of its own.
 */
import type { Worker } from 'node:cluster';

/** The line main.ts prints for a failed command. */
const ERROR_LINE = /^aesearch: /;

/** The head of an uncaught exception's report (`TypeError: ...`, `Error [ERR_X]: ...`), printed by node itself. */
const EXCEPTION_LINE = /^[A-Z]\w*(Error|Exception)\b.*: /;

/** What a worker printed last. */
export class WorkerOutput {
  private partial = '';
  private last: string | undefined;
  private error: string | undefined;
  private exception: string | undefined;

  /** Starts passing `worker`'s output on to this process's stdout and stderr. */
  constructor(worker: Worker) {
    worker.process.stdout?.pipe(process.stdout);
    const stderr = worker.process.stderr;
    stderr?.setEncoding('utf8');
    stderr?.on('data', (text: string) => this.take(text));
    stderr?.on('end', () => {
      if (this.partial) this.take('\n');
    });
  }

  /** Its `aesearch: ...` line (the first line of it), if it printed one. */
  get errorLine(): string | undefined {
    return this.error;
  }

  /** The first line of the last uncaught exception node reported, if any. */
  get exceptionLine(): string | undefined {
    return this.exception;
  }

  /** The last line it printed, if any. */
  get lastLine(): string | undefined {
    return this.last;
  }

  private take(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    let passed = '';
    for (const line of lines) {
      if (ERROR_LINE.test(line) && this.error === undefined) this.error = line;
      else passed += `${line}\n`;
      if (EXCEPTION_LINE.test(line)) this.exception = line;
      if (line.trim()) this.last = line;
    }
    if (passed) process.stderr.write(passed);
  }
}

/** `1`, `SIGKILL`: how a process ended, for messages. */
export function exitHow(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ?? (code === null ? 'an unknown status' : `code ${code}`);
}
