/**
 * createApp: the express app of the API and the web page. It never listens; the serve command (or a
 * test) does. Routes only parse, validate and shape JSON; searching is the SearchService's job.
 */
import express, { type Express } from 'express';
import { type Config, DEFAULT_IMAGE_CACHE_BYTES, DEFAULT_QUEUE_LIMIT } from '../config.js';
import { DEFAULT_DECODE_BUDGET } from '../image/decode-budget.js';
import { DecodeSlots } from '../image/decode-slots.js';
import { errorHandler, notFound } from './error-handler.js';
import { checkHost, hostAllowList } from './host-check.js';
import { AppMetrics, metricsRoute, type Scrape } from './metrics.js';
import type { ServiceProvider } from './provider.js';
import { type LogLine, requestLog } from './request-log.js';
import { requestScope } from './request-scope.js';
import { adminRoutes } from './routes/admin.js';
import { collectionRoutes } from './routes/collection.js';
import { duplicatesRoutes } from './routes/duplicates.js';
import { infoRoutes } from './routes/info.js';
import { type ItemImages, itemImages, itemRoutes } from './routes/items.js';
import { mapRoutes } from './routes/map.js';
import { searchRoutes } from './routes/search.js';
import { rejectPathTricks, securityHeaders, servePage } from './static.js';
import { UploadGuard, type UploadLimits, uploadLimits } from './upload-guard.js';
import { WorkQueue } from './work-queue.js';

/** Options of `createApp`. */
export interface AppOptions {
  /** Receives one line per request and the stacks of internal errors; silent by default. */
  readonly log?: LogLine;
  /** The queue of search work (default: one of `config.queueLimit` places, decoding within the config's budget). */
  readonly queue?: WorkQueue;
  /** The item images' cache and encode slots (default: a cache of `config.imageCacheBytes`). */
  readonly images?: ItemImages;
  /** The app's metrics (default: a fresh registry); the server counts its reloads into them. */
  readonly metrics?: AppMetrics;
  /** How GET /metrics gathers its text (default: this app's registry; a cluster worker asks every worker). */
  readonly scrape?: Scrape;
}

/**
 * The settings createApp reads; all but the upload limit and the page's folder are optional (the
 * defaults of loadConfig: no admin token, listening on 127.0.0.1, the default upload limits, ...).
 */
export type AppConfig = Pick<Config, 'maxUploadBytes' | 'publicDir'> &
  Partial<
    Pick<
      Config,
      | 'adminToken'
      | 'queueLimit'
      | 'host'
      | 'allowedHosts'
      | 'maxDecodeBytes'
      | 'decodeTimeoutS'
      | 'imageCacheBytes'
      | 'unusualPercentile'
    >
  > &
  Partial<UploadLimits>;

function defaultQueue(config: AppConfig): WorkQueue {
  const budget = {
    ...DEFAULT_DECODE_BUDGET,
    maxMemoryBytes: config.maxDecodeBytes ?? DEFAULT_DECODE_BUDGET.maxMemoryBytes,
    timeoutS: config.decodeTimeoutS ?? DEFAULT_DECODE_BUDGET.timeoutS,
  };
  return new WorkQueue(config.queueLimit ?? DEFAULT_QUEUE_LIMIT, { budget, slots: new DecodeSlots() });
}

/** Builds the app on `config` (see AppConfig); `options` can bring their own queue, images and log. */
export function createApp(provider: ServiceProvider, config: AppConfig, options: AppOptions = {}): Express {
  const log = options.log ?? (() => {});
  const queue = options.queue ?? defaultQueue(config);
  const images = options.images ?? itemImages(config.imageCacheBytes ?? DEFAULT_IMAGE_CACHE_BYTES);
  const uploads = new UploadGuard(uploadLimits(config));
  const metrics = options.metrics ?? new AppMetrics();
  metrics.track(queue, provider);
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('query parser', 'simple');
  app.use(requestLog(log));
  app.use(metrics.middleware());
  app.use(checkHost(hostAllowList(config.host ?? '127.0.0.1', config.allowedHosts ?? [])));
  app.use(securityHeaders);
  app.use(requestScope);
  app.use(metricsRoute(metrics, options.scrape));
  app.use(searchRoutes(provider, config.maxUploadBytes, queue, uploads, metrics, config.unusualPercentile));
  app.use(mapRoutes(provider));
  app.use(itemRoutes(provider, images));
  app.use(duplicatesRoutes(provider));
  app.use(infoRoutes(provider, queue, uploads));
  app.use(adminRoutes(provider, config.adminToken ?? ''));
  app.use(collectionRoutes(provider, config.adminToken ?? '', config.maxUploadBytes, queue, uploads));
  app.use(rejectPathTricks);
  app.use(servePage(config.publicDir));
  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
