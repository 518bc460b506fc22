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
import { log } from '../cli/context.js';
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

/** True in a worker forked by `runPrimary`. */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** True in the workers after the first: they neither log the start-up lines nor train or index. */
export function isQuietWorker(): boolean {
  return cluster.isWorker && process.env.AESEARCH_WORKER_QUIET === '1';
}

/** In a worker: tells the primary (and so the other workers) about something. */
export function tellPrimary(message: ToPrimary): void {
  process.send?.(message);
}

/** In a worker: calls `onMessage` for each message from the primary. */
export function onPrimaryMessage(onMessage: (message: ToWorker) => void): void {
  process.on('message', (message: ToWorker) => onMessage(message));
}

/** In a worker that has closed its server: lets the process end (the IPC channel would keep it alive). */
export function leaveCluster(): void {
  cluster.worker?.disconnect();
}

/** Passes a worker's output through; resolves with its URL once it listens, rejects if it exits first. */
function started(worker: Worker): Promise<string> {
  let held = '';
  worker.process.stdout?.pipe(process.stdout);
  worker.process.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (ERROR_LINE.test(text)) held += text;
    else process.stderr.write(text);
  });
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => {
      const message = ERROR_LINE.exec(held)?.[1];
      reject(
        message
          ? new AesearchError('WORKER_FAILED', message, 500)
          : createError('WORKER_FAILED', worker.process.pid ?? 0, code ?? 'a signal'),
      );
    };
    worker.once('exit', onExit);
    worker.on('message', (m: ToPrimary) => {
      if (m.type !== 'listening') return;
      worker.off('exit', onExit);
      if (held) process.stderr.write(held);
      resolve(m.url);
    });
  });
}

/** The workers of the primary: forking, passing reloads on, restarting the ones that die, closing. */
class WorkerPool {
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
    log(`server process ${dead.process.pid} exited (${how}); starting another`);
    if (this.restarts.length > MAX_RESTARTS_PER_MINUTE) log('too many server processes died in a minute');
    else void started(this.fork(true)).catch((err: Error) => log(err.message));
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
export async function runPrimary(count: number): Promise<void> {
  const signals = watchSignals();
  const pool = new WorkerPool();
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
