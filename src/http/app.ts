/**
 * createApp: the express app of the API and the web page. It never listens; the serve command (or a
 * test) does. Routes only parse, validate and shape JSON; searching is the SearchService's job.
 */
import express, { type Express } from 'express';
import type { Config } from '../config.js';
import { errorHandler, notFound } from './error-handler.js';
import type { ServiceProvider } from './provider.js';
import { type LogLine, requestLog } from './request-log.js';
import { infoRoutes } from './routes/info.js';
import { itemRoutes } from './routes/items.js';
import { searchRoutes } from './routes/search.js';
import { securityHeaders, servePage } from './static.js';

/** Options of `createApp`. */
export interface AppOptions {
  /** Receives one line per request and the stacks of internal errors; silent by default. */
  readonly log?: LogLine;
}

/** Builds the app; `config` gives the upload limit and the page's folder. */
export function createApp(
  provider: ServiceProvider,
  config: Pick<Config, 'maxUploadBytes' | 'publicDir'>,
  options: AppOptions = {},
): Express {
  const log = options.log ?? (() => {});
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(requestLog(log));
  app.use(securityHeaders);
  app.use(searchRoutes(provider, config.maxUploadBytes));
  app.use(itemRoutes(provider));
  app.use(infoRoutes(provider));
  app.use(servePage(config.publicDir));
  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
