/**
 * createApp: the express app of the API and the web page. It never listens; the serve command (or a
 * test) does. Routes only parse, validate and shape JSON; searching is the SearchService's job.
 */
import express, { type Express } from 'express';
import { type Config, DEFAULT_QUEUE_LIMIT } from '../config.js';
import { errorHandler, notFound } from './error-handler.js';
import type { ServiceProvider } from './provider.js';
import { type LogLine, requestLog } from './request-log.js';
import { requestScope } from './request-scope.js';
import { adminRoutes } from './routes/admin.js';
import { infoRoutes } from './routes/info.js';
import { itemRoutes } from './routes/items.js';
import { searchRoutes } from './routes/search.js';
import { rejectPathTricks, securityHeaders, servePage } from './static.js';
import { UploadGuard, type UploadLimits, uploadLimits } from './upload-guard.js';
import { WorkQueue } from './work-queue.js';

/** Options of `createApp`. */
export interface AppOptions {
  /** Receives one line per request and the stacks of internal errors; silent by default. */
  readonly log?: LogLine;
  /** The queue of search work (default: one of `config.queueLimit` places). */
  readonly queue?: WorkQueue;
}

/** The settings createApp reads; the admin token, queue limit and upload limits are optional (off, and the defaults). */
export type AppConfig = Pick<Config, 'maxUploadBytes' | 'publicDir'> &
  Partial<Pick<Config, 'adminToken' | 'queueLimit'>> &
  Partial<UploadLimits>;

/** Builds the app; `config` gives the upload limit, the page's folder, the admin token and the queue limit. */
export function createApp(provider: ServiceProvider, config: AppConfig, options: AppOptions = {}): Express {
  const log = options.log ?? (() => {});
  const queue = options.queue ?? new WorkQueue(config.queueLimit ?? DEFAULT_QUEUE_LIMIT);
  const uploads = new UploadGuard(uploadLimits(config));
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(requestLog(log));
  app.use(securityHeaders);
  app.use(requestScope);
  app.use(searchRoutes(provider, config.maxUploadBytes, queue, uploads));
  app.use(itemRoutes(provider));
  app.use(infoRoutes(provider, queue, uploads));
  app.use(adminRoutes(provider, config.adminToken ?? ''));
  app.use(rejectPathTricks);
  app.use(servePage(config.publicDir));
  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
