/**
 * Running the HTTP server: listen, log what is served and where, and on SIGINT or SIGTERM stop taking
 * connections, let requests in flight finish, and return so the command exits 0.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import type { Config } from '../config.js';
import { createError } from '../errors.js';
import { createApp } from '../http/app.js';
import { fixedProvider } from '../http/provider.js';
import type { BackendInfo } from '../model/backend.js';
import type { SearchService } from '../search/search-service.js';
import { log } from './context.js';

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

/** The first SIGINT or SIGTERM from now on; `stop` removes the handlers. */
function watchSignals(): { received: Promise<NodeJS.Signals>; stop(): void } {
  let stop = () => {};
  const received = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      stop();
      resolve(signal);
    };
    stop = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { received, stop };
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

/** Serves `service` until SIGINT or SIGTERM, logging one line per request; disposes the service at the end. */
export async function serveUntilSignal(
  service: SearchService,
  config: Config,
  backend: BackendInfo,
): Promise<void> {
  // Handlers go in before the URL is logged: whoever reads it may signal at once.
  const signals = watchSignals();
  try {
    warmUp(service);
    const app = createApp(fixedProvider(service, backend), config, { log });
    const server = await listen(app, config.port, config.host);
    const { dataset, modelManifest: model } = service.state;
    log(
      `serving ${service.count} items of ${dataset.name} (${model.arch.arch} autoencoder, code ${model.codeSize}) ` +
        `on ${backend.name}`,
    );
    log(`listening on ${serverUrl(server)}`);
    const signal = await signals.received;
    log(`${signal}: closing the server`);
    await closeServer(server);
  } finally {
    signals.stop();
    service.dispose();
  }
}
