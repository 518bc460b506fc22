/**
 * The serving lifecycle: open the index, warm the model up, listen, log what is served and where, watch
 * the index folder and reload, and on SIGINT or SIGTERM (or the cluster primary's word) stop taking
 * connections, let requests in flight finish, close the services and return so the command exits 0.
 * What it needs from the process around it (logging, the cluster link) is passed in.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config.js';
import { createError } from '../errors.js';
import { createApp } from '../http/app.js';
import { AppMetrics, type Scrape } from '../http/metrics.js';
import { openService } from '../search/open-service.js';
import type { SearchService } from '../search/search-service.js';
import { describeIndex } from '../search/service-status.js';
import type { BackendInfo } from '../tfjs/backend.js';
import { type LogLine, type ServingProcess, watchSignals } from './cluster.js';
import { WorkerMetrics } from './cluster-metrics.js';
import { IndexReloader } from './index-reloader.js';
import { watchIndex } from './index-watch.js';
import { holderProvider, ServiceHolder } from './service-holder.js';
import { watchStoreBuild } from './store-watch.js';

/** How long a graceful close waits for open connections before cutting them, in ms. */
const CLOSE_GRACE_MS = 5000;

/** Starts listening on host:port (0 picks a free port); throws PORT_IN_USE. */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? createError('PORT_IN_USE', { host, port }) : err);
    });
  });
}

/** The URL a listening server answers on. */
export function serverUrl(server: Server): string {
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}/`;
}

/** Closes the server: idle connections now, busy ones after their response or CLOSE_GRACE_MS. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
  });
}

/**
 * Opens the index on disk for a reload and warms the new model up before it is swapped in; closes it
 * when the warm-up fails.
 */
export async function openForReload(config: Config): Promise<SearchService> {
  const next = await openService(config);
  try {
    await next.warmUp();
  } catch (err) {
    await next.close();
    throw err;
  }
  return next;
}

/** A listening server with its reloadable service. */
export interface RunningServer {
  readonly server: Server;
  readonly url: string;
  readonly holder: ServiceHolder;
  readonly reloader: IndexReloader;
  /** Stops watching, closes the server gracefully, then closes the services. */
  close(): Promise<void>;
}

/**
 * Node's own bound on a request's arrival, headers included, beyond the upload limits (which answer
 * a slow upload with JSON first), in ms.
 */
function requestTimeoutMs(config: Pick<Config, 'uploadSeconds'>): number {
  return (Math.max(60, config.uploadSeconds) + 10) * 1000;
}

/** How often a server applies the collection's changes made by others (the CLI, other workers), in ms. */
export const FOLLOW_INTERVAL_MS = 250;

/**
 * Applies the catalogue's new changes to the current service every FOLLOW_INTERVAL_MS: an item added or
 * removed by another process is answered (or no longer) within a second, with no reload.
 */
function followChanges(holder: ServiceHolder, log: LogLine): NodeJS.Timeout {
  let failing = false;
  const timer = setInterval(() => {
    holder.current.follow().then(
      () => {
        failing = false;
      },
      (err: unknown) => {
        if (!failing) log(`could not apply the collection's changes: ${(err as Error).message}`);
        failing = true;
      },
    );
  }, FOLLOW_INTERVAL_MS);
  timer.unref();
  return timer;
}

/** Options of `startServer`. */
export interface StartOptions {
  /** Receives the request lines and reload reports. */
  readonly log: LogLine;
  /** Called after a reload asked for over HTTP (a cluster worker passes it on to the others). */
  readonly afterAdminReload?: (trigger: string) => void;
  /** The app's metrics (default: a fresh registry); reloads are counted into them. */
  readonly metrics?: AppMetrics;
  /** How GET /metrics gathers its text (default: this process's registry). */
  readonly scrape?: Scrape;
}

/**
 * Warms `service` up, serves it on config.host:config.port and reloads when index/manifest.json changes
 * (or on POST /api/admin/reload with the admin token). Owns `service` from here: closes it on failure or
 * close. Throws PORT_IN_USE.
 */
export async function startServer(
  service: SearchService,
  config: Config,
  backend: Pick<BackendInfo, 'name' | 'description'>,
  options: StartOptions,
): Promise<RunningServer> {
  const holder = new ServiceHolder(service);
  const metrics = options.metrics ?? new AppMetrics();
  const reloader = new IndexReloader(
    holder,
    () => openForReload(config),
    options.log,
    (ok) => metrics.countReload(ok),
  );
  const reloads = {
    status: () => reloader.status(),
    reload: async (trigger: string) => {
      const status = await reloader.reload(trigger);
      options.afterAdminReload?.(trigger);
      return status;
    },
  };
  let server: Server;
  try {
    await service.warmUp();
    const scrape = options.scrape ? { scrape: options.scrape } : {};
    const app = createApp(holderProvider(holder, backend, reloads), config, {
      log: options.log,
      metrics,
      ...scrape,
    });
    server = await listen(app, config.port, config.host);
  } catch (err) {
    holder.close();
    throw err;
  }
  server.requestTimeout = requestTimeoutMs(config);
  // After start-up an 'error' (say, accept failing with EMFILE) is logged: unheard, it would end the process.
  server.on('error', (err) => options.log(`server error: ${err.message}`));
  const watch =
    config.store === null
      ? watchIndex(
          config.indexDir,
          () => holder.current.source.identity.id,
          () => void reloader.reload('index/manifest.json changed'),
          options.log,
        )
      : watchStoreBuild(
          () => holder.current.source,
          () => void reloader.reload('the store holds a new build'),
          options.log,
        );
  const follow = followChanges(holder, options.log);
  const close = async () => {
    clearInterval(follow);
    watch.close();
    await closeServer(server);
    holder.close();
  };
  return { server, url: serverUrl(server), holder, reloader, close };
}

function logStart(log: LogLine, service: SearchService, backend: BackendInfo, running: RunningServer): void {
  const { meta } = service.source;
  const model = service.modelManifest;
  log(
    `serving ${service.count} items of ${meta.name} (${model.arch.arch} autoencoder, code ${model.codeSize}) ` +
      `on ${backend.name}`,
  );
  log(`index ${describeIndex(running.reloader.status().index)}; reloads when it is rebuilt`);
  log(`listening on ${running.url}`);
}

/**
 * Serves `service` until SIGINT or SIGTERM (or, in a cluster worker, the primary's word), logging one
 * line per request through `here.log`; closes the services at the end (or on failure).
 */
export async function serveUntilSignal(
  service: SearchService,
  config: Config,
  backend: BackendInfo,
  here: ServingProcess,
): Promise<void> {
  // Handlers go in before the URL is logged: whoever reads it may signal at once.
  const signals = watchSignals();
  let shutdown: (signal: string) => void = () => {};
  const told = new Promise<string>((resolve) => {
    shutdown = resolve;
  });
  const { log, primary } = here;
  try {
    const metrics = new AppMetrics();
    const cluster = primary ? { scrape: new WorkerMetrics(primary, metrics.registry).scrape } : {};
    const running = await startServer(service, config, backend, {
      log,
      afterAdminReload: (trigger) =>
        primary?.tell({ type: 'reload', trigger: `${trigger}, via another process` }),
      metrics,
      ...cluster,
    });
    if (primary) {
      primary.listen((m) => {
        if (m.type === 'reload') void running.reloader.reload(m.trigger);
        else if (m.type === 'shutdown') shutdown(m.signal);
      });
      primary.tell({ type: 'listening', url: running.url });
    }
    if (!here.quiet) logStart(log, service, backend, running);
    const signal = await Promise.race([signals.received, told]);
    if (!here.quiet) log(`${signal}: closing the server`);
    await running.close();
  } finally {
    signals.stop();
  }
}

/** Opens the index in config.indexDir and serves it until a signal (see serveUntilSignal). */
export async function serveIndex(config: Config, backend: BackendInfo, here: ServingProcess): Promise<void> {
  await serveUntilSignal(await openService(config), config, backend, here);
}
