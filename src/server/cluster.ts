/**
 * Serving from one process per core (node:cluster). A single process was bound by its one JavaScript
 * thread (profiled), which the second core could not help. The primary only supervises: it starts the
 * first worker, which runs the command as usual (prints the backend, trains or indexes what is missing,
 * loads the index, listens), then the others, which load the index quietly. It passes the workers' output
 * through (holding back a start-up error so it is printed once, as the command's own), forwards an admin
 * reload from one worker to the others (each also watches the index folder), starts a new worker when
 * one dies, and on SIGINT or SIGTERM tells every worker to close gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../config.js';
import { AesearchError, createError } from '../errors.js';

/** Messages from the primary to a worker. */
export type ToWorker = { type: 'reload'; trigger: string } | { type: 'shutdown'; signal: string };

/** Messages from a worker to the primary. */
export type ToPrimary = { type: 'listening'; url: string } | { type: 'reload'; trigger: string };

/** Restarts of crashed workers allowed per minute before the primary stops starting more. */
const MAX_RESTARTS_PER_MINUTE = 5;

/** The line main.ts prints for a failed command. */
const ERROR_LINE = /^aesearch: (.*)$/m;

/** Every such line of a chunk of output, with its newline. */
const ERROR_LINES = /^aesearch: .*(\n|$)/gm;

/**
 * The first SIGINT or SIGTERM from now on. Later ones are ignored (Ctrl-C reaches the primary and its
 * workers at once, and a second one must not kill a closing server) until `stop` removes the handlers.
 */
export function watchSignals(): { received: Promise<NodeJS.Signals>; stop(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    received,
    stop: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The number of server processes `config.workers` asks for. */
export function workerCount(config: Pick<Config, 'workers'>): number {
  return config.workers === 'auto' ? availableParallelism() : config.workers;
}

/** Writes one log line. */
export type LogLine = (line: string) => void;

/** A worker's link to the primary, and through it to the other workers. */
export interface PrimaryLink {
  /** Tells the primary about something. */
  tell(message: ToPrimary): void;
  /** Calls `onMessage` for each message from the primary. */
  listen(onMessage: (message: ToWorker) => void): void;
  /** Lets the process end once its server has closed (the IPC channel would keep it alive). */
  leave(): void;
}

/** What the serving lifecycle needs to know about the process it runs in. */
export interface ServingProcess {
  readonly log: LogLine;
  /** True in the workers after the first: they neither log the start-up lines nor train or index. */
  readonly quiet: boolean;
  /** The link to the primary in a cluster worker; absent in a single process. */
  readonly primary?: PrimaryLink;
}

function thisProcess(log: LogLine): ServingProcess {
  if (!cluster.isWorker) return { log, quiet: false };
  const primary: PrimaryLink = {
    tell: (message) => process.send?.(message),
    listen: (onMessage) => process.on('message', (message: ToWorker) => onMessage(message)),
    leave: () => cluster.worker?.disconnect(),
  };
  return { log, quiet: process.env.AESEARCH_WORKER_QUIET === '1', primary };
}

/**
 * Runs `serve` in this process or, when `workers` > 1 in a process that is not itself a worker, the
 * primary of that many workers (each re-runs the command, and so calls `serve` as a worker). A worker
 * leaves the cluster when `serve` ends, failed or not, so that its process ends. Resolves when serving is
 * over.
 */
export async function runServing(
  workers: number,
  log: LogLine,
  serve: (here: ServingProcess) => Promise<void>,
): Promise<void> {
  if (!cluster.isWorker && workers > 1) return runPrimary(workers, log);
  const here = thisProcess(log);
  try {
    await serve(here);
  } finally {
    here.primary?.leave();
  }
}

/**
 * Passes a worker's output through but for its error lines, which are held back; resolves with its URL
 * once it listens, rejects with its error once it has exited and its output has been read.
 */
function started(worker: Worker): Promise<string> {
  let held = '';
  worker.process.stdout?.pipe(process.stdout);
  worker.process.stderr?.on('data', (chunk: Buffer) => {
    // Only the error line is held: the lines before it in the same chunk (the backend line) pass.
    const passed = chunk.toString().replace(ERROR_LINES, (line) => {
      held += line;
      return '';
    });
    if (passed) process.stderr.write(passed);
  });
  return new Promise((resolve, reject) => {
    // 'close' rather than 'exit': it comes once the worker's output is read, so its error line is held.
    const onExit = (code: number | null) => {
      const message = ERROR_LINE.exec(held)?.[1];
      reject(
        message
          ? new AesearchError('WORKER_FAILED', message, 500)
          : createError('WORKER_FAILED', { pid: worker.process.pid ?? 0, code: code ?? 'a signal' }),
      );
    };
    worker.process.once('close', onExit);
    worker.on('message', (m: ToPrimary) => {
      if (m.type !== 'listening') return;
      worker.process.off('close', onExit);
      if (held) process.stderr.write(held);
      resolve(m.url);
    });
  });
}

/** The workers of the primary: forking, passing reloads on, restarting the ones that die, closing. */
class WorkerPool {
  constructor(private readonly log: LogLine) {}

  private readonly workers = new Set<Worker>();
  private readonly restarts: number[] = [];
  /** Set once every worker listens: before that, an exit is a failed start, which `started` reports. */
  serving = false;
  private stopping = false;

  /** Starts a worker; `quiet` ones do not log start-up lines, nor train or index. */
  fork(quiet: boolean): Worker {
    const worker = cluster.fork({ AESEARCH_WORKER_QUIET: quiet ? '1' : '0' });
    this.workers.add(worker);
    worker.on('message', (m: ToPrimary) => {
      if (m.type !== 'reload') return;
      for (const other of this.workers)
        if (other !== worker) other.send({ type: 'reload', trigger: m.trigger } satisfies ToWorker);
    });
    worker.on('exit', (code, signal) => {
      this.workers.delete(worker);
      if (!this.stopping && this.serving) this.replace(worker, code ?? signal);
    });
    return worker;
  }

  private replace(dead: Worker, how: number | string): void {
    const now = Date.now();
    this.restarts.push(now);
    while ((this.restarts[0] ?? now) < now - 60_000) this.restarts.shift();
    this.log(`server process ${dead.process.pid} exited (${how}); starting another`);
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE)
      this.log('too many server processes died in a minute');
    else void started(this.fork(true)).catch((err: Error) => this.log(err.message));
  }

  /** Tells every worker to close and waits for them. */
  async close(signal: string): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            worker.once('exit', () => resolve());
            try {
              // The message reaches a listening worker; the signal, one still starting (or both, harmlessly).
              worker.send({ type: 'shutdown', signal } satisfies ToWorker);
              worker.process.kill(signal as NodeJS.Signals);
            } catch {
              // already gone: its exit event resolves this
            }
          }),
      ),
    );
  }

  /** Kills whatever is left (after a failed start). */
  kill(): void {
    this.stopping = true;
    for (const worker of this.workers) worker.process.kill('SIGKILL');
  }
}

/**
 * Runs the primary of `count` workers (each re-runs this command) until SIGINT or SIGTERM, and returns
 * once every worker has closed. Throws WORKER_FAILED, with the worker's own message, when one exits
 * before it listens.
 */
async function runPrimary(count: number, log: LogLine): Promise<void> {
  const signals = watchSignals();
  const pool = new WorkerPool(log);
  cluster.setupPrimary({ silent: true });
  try {
    const startup = (async () => {
      const url = await started(pool.fork(false));
      for (let i = 1; i < count; i++) await started(pool.fork(true));
      pool.serving = true;
      log(`${count} server processes share ${url}`);
    })();
    const early = await Promise.race([startup.then(() => undefined), signals.received]);
    if (early) startup.catch(() => {});
    await pool.close(early ?? (await signals.received));
  } finally {
    pool.kill();
    signals.stop();
  }
}
