/**
 * Serving from one process per core (node:cluster). A single process was bound by its one JavaScript
 * thread (profiled), which the second core could not help. The primary only supervises: it starts the
 * first worker, which runs the command as usual (prints the backend, trains or indexes what is missing,
 * loads the index, listens), then the others, which load the index quietly. Its WorkerPool passes the
 * workers' output through (a worker's error line is printed once, as the command's own at start-up, or
 * in the line reporting its exit), forwards an admin reload from one worker to the others (each also
 * watches the index folder) and replaces a worker that dies; the primary exits 1 when none is left, and
 * on SIGINT or SIGTERM tells every worker to close gracefully.
 */
import cluster from 'node:cluster';
import { type AddressInfo, createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import type { Registry } from 'prom-client';
import type { Config } from '../config.js';
import { WorkerPool } from './worker-pool.js';

/** Messages from the primary to a worker (the metrics ones: see cluster-metrics.ts). */
export type ToWorker =
  | { type: 'reload'; trigger: string }
  | { type: 'shutdown'; signal: string }
  | { type: 'metrics-collect'; id: number }
  | { type: 'metrics-result'; id: number; text: string };

/** Messages from a worker to the primary. */
export type ToPrimary =
  | { type: 'listening'; url: string }
  | { type: 'reload'; trigger: string }
  | { type: 'metrics-scrape'; id: number }
  | { type: 'metrics-part'; id: number; metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>> };

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
  /** In a cluster worker told `--port 0`, the port the primary chose for every worker. */
  readonly port?: number;
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
  const port = Number(process.env.AESEARCH_WORKER_PORT);
  return { log, quiet: process.env.AESEARCH_WORKER_QUIET === '1', primary, ...(port > 0 ? { port } : {}) };
}

/**
 * A free port on `host`, for workers told `--port 0`: they must all listen on one port, and node's
 * cluster gives a replacement started when no worker is left a new one unless the port is named.
 */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * Runs `serve` in this process or, when `workers` > 1 in a process that is not itself a worker, the
 * primary of that many workers (each re-runs the command, and so calls `serve` as a worker), which listen
 * on `at` (a port 0 is chosen here, once). A worker leaves the cluster when `serve` ends, failed or not,
 * so that its process ends. Resolves when serving is over.
 */
export async function runServing(
  workers: number,
  log: LogLine,
  at: Pick<Config, 'host' | 'port'>,
  serve: (here: ServingProcess) => Promise<void>,
): Promise<void> {
  if (!cluster.isWorker && workers > 1)
    return runPrimary(workers, log, at.port === 0 ? await freePort(at.host) : undefined);
  const here = thisProcess(log);
  try {
    await serve(here);
  } finally {
    here.primary?.leave();
  }
}

/**
 * Runs the primary of `count` workers (each re-runs this command) until SIGINT or SIGTERM, and returns
 * once every worker has closed. Throws WORKER_FAILED, with the worker's own message, when one exits
 * before it listens, and NO_WORKERS_LEFT when the last one is gone and none will be started.
 */
async function runPrimary(count: number, log: LogLine, port: number | undefined): Promise<void> {
  const signals = watchSignals();
  const pool = new WorkerPool(log, port);
  cluster.setupPrimary({ silent: true });
  try {
    const startup = (async () => {
      const url = await pool.start(false);
      for (let i = 1; i < count; i++) await pool.start(true);
      pool.serving = true;
      log(`${count} server processes share ${url}`);
    })();
    const early = await Promise.race([startup.then(() => undefined), signals.received]);
    if (early) startup.catch(() => {});
    const end = early ?? (await Promise.race([signals.received, pool.lost]));
    if (typeof end !== 'string') throw end;
    await pool.close(end);
  } finally {
    pool.kill();
    signals.stop();
  }
}
