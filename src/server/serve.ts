/**
 * Running the HTTP server: listen, log what is served and where, and on SIGINT or SIGTERM stop taking
 * connections, let requests in flight finish, and return so the command exits 0.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { log } from '../cli/context.js';
import type { Config } from '../config.js';
import { createError } from '../errors.js';
import { createApp } from '../http/app.js';
import { holderProvider } from '../http/provider.js';
import { SearchService } from '../search/search-service.js';
import { readIndexManifest } from '../store/manifest.js';
import type { BackendInfo } from '../tfjs/backend.js';
import {
  isQuietWorker,
  isWorker,
  leaveCluster,
  onPrimaryMessage,
  tellPrimary,
  watchSignals,
} from './cluster.js';
import { describeIndex, IndexReloader } from './index-reloader.js';
import { watchIndex } from './index-watch.js';
import { ServiceHolder } from './service-holder.js';

/** How long a graceful close waits for open connections before cutting them, in ms. */
const CLOSE_GRACE_MS = 5000;

/** Starts listening on host:port (0 picks a free port); throws PORT_IN_USE. */
export function listen(app: Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('listening', () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(err.code === 'EADDRINUSE' ? createError('PORT_IN_USE', host, port) : err);
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

/** Runs the encoder once, so the first upload's time is not tfjs compiling its kernels. */
function warmUp(service: SearchService): void {
  if (service.count > 0) service.searchByPixels(service.itemPixels(0), { k: 1, spaces: ['code'] }, null);
}

/**
 * Opens the index on disk for a reload, reusing the dataset in memory when the new index was built for
 * the same one (same fingerprint), and warms the new model up before it is swapped in.
 */
async function openForReload(config: Config, current: SearchService): Promise<SearchService> {
  const manifest = await readIndexManifest(config.indexDir);
  const { dataset } = current.state;
  const same = manifest.dataset.fingerprint === dataset.fingerprint;
  const next = await SearchService.open(same ? { ...config, dataset } : config);
  try {
    warmUp(next);
  } catch (err) {
    next.dispose();
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
  /** Stops watching, closes the server gracefully, then disposes the services. */
  close(): Promise<void>;
}

/** How long a request may take to arrive in full (a slow upload holds a queue place meanwhile), in ms. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Options of `startServer`. */
export interface StartOptions {
  /** Receives the request lines and reload reports (default: stderr). */
  readonly log?: (line: string) => void;
  /** Called after a reload asked for over HTTP (a cluster worker passes it on to the others). */
  readonly afterAdminReload?: (trigger: string) => void;
}

/**
 * Serves `service` on config.host:config.port and reloads when index/manifest.json changes (or on
 * POST /api/admin/reload with the admin token). Owns `service` from here: disposes it on failure or close.
 * Throws PORT_IN_USE.
 */
export async function startServer(
  service: SearchService,
  config: Config,
  backend: Pick<BackendInfo, 'name' | 'description'>,
  options: StartOptions = {},
): Promise<RunningServer> {
  const logLine = options.log ?? log;
  const holder = new ServiceHolder(service);
  const reloader = new IndexReloader(holder, (current) => openForReload(config, current), logLine);
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
    warmUp(service);
    const app = createApp(holderProvider(holder, backend, reloads), config, { log: logLine });
    server = await listen(app, config.port, config.host);
  } catch (err) {
    holder.close();
    throw err;
  }
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  const watch = watchIndex(
    config.indexDir,
    () => holder.current.state.indexManifest.dir,
    () => void reloader.reload('index/manifest.json changed'),
    logLine,
  );
  const close = async () => {
    watch.close();
    await closeServer(server);
    holder.close();
  };
  return { server, url: serverUrl(server), holder, reloader, close };
}

function logStart(service: SearchService, backend: BackendInfo, running: RunningServer): void {
  const { dataset, modelManifest: model } = service.state;
  log(
    `serving ${service.count} items of ${dataset.name} (${model.arch.arch} autoencoder, code ${model.codeSize}) ` +
      `on ${backend.name}`,
  );
  log(`index ${describeIndex(running.reloader.status().index)}; reloads when it is rebuilt`);
  log(`listening on ${running.url}`);
}

/**
 * Serves `service` until SIGINT or SIGTERM (or, in a cluster worker, the primary's word), logging one
 * line per request; disposes the services at the end (or on failure).
 */
export async function serveUntilSignal(
  service: SearchService,
  config: Config,
  backend: BackendInfo,
): Promise<void> {
  // Handlers go in before the URL is logged: whoever reads it may signal at once.
  const signals = watchSignals();
  let shutdown: (signal: string) => void = () => {};
  const told = new Promise<string>((resolve) => {
    shutdown = resolve;
  });
  try {
    const running = await startServer(service, config, backend, {
      afterAdminReload: (trigger) =>
        tellPrimary({ type: 'reload', trigger: `${trigger}, via another process` }),
    });
    if (isWorker()) {
      onPrimaryMessage((m) => {
        if (m.type === 'reload') void running.reloader.reload(m.trigger);
        else shutdown(m.signal);
      });
      tellPrimary({ type: 'listening', url: running.url });
    }
    if (!isQuietWorker()) logStart(service, backend, running);
    const signal = await Promise.race([signals.received, told]);
    if (!isQuietWorker()) log(`${signal}: closing the server`);
    await running.close();
    leaveCluster();
  } finally {
    signals.stop();
  }
}
