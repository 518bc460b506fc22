/**
 * GET /metrics in the Prometheus text format (prom-client), one registry per app: requests by route and
 * status, latency by route and by search space, work-queue depth and 503 refusals, items served, reloads
 * and failed reloads, live tensors, and prom-client's process figures (RSS, event-loop lag, heap, ...).
 * In a cluster the route answers with what `scrape` gathers from every worker (src/server/).
 */
import * as tf from '@tensorflow/tfjs';
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { QuerySpace } from '../search/search-service.js';
import type { ServiceProvider } from './provider.js';
import type { WorkQueue } from './work-queue.js';

/** The path of the scrape. */
export const METRICS_PATH = '/metrics';

/** The route label of a request no route took (static files, 404s, refusals before routing). */
export const NO_ROUTE = '(none)';

/** Latency buckets in seconds: a cached image takes a millisecond, a costly upload several seconds. */
const LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metrics of one app. */
export class AppMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'status'>;
  private readonly latency: Histogram<'route'>;
  private readonly spaceLatency: Histogram<'space'>;
  private readonly refusals: Counter<'code'>;
  private readonly reloads: Counter<'outcome'>;
  private source: { queue: WorkQueue; provider: ServiceProvider } | undefined;

  constructor() {
    const registers = [this.registry];
    this.requests = new Counter({
      name: 'aesearch_http_requests_total',
      help: 'HTTP requests answered, by route and status',
      labelNames: ['route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'aesearch_http_request_duration_seconds',
      help: 'Time from a request to its response, by route',
      labelNames: ['route'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.spaceLatency = new Histogram({
      name: 'aesearch_search_duration_seconds',
      help: 'Time of the vector search in one space (plus encoding an upload, for code)',
      labelNames: ['space'],
      buckets: LATENCY_BUCKETS_S,
      registers,
    });
    this.refusals = new Counter({
      name: 'aesearch_http_503_total',
      help: 'Requests refused with 503 (a full work queue, decode slots or upload limits), by error code',
      labelNames: ['code'],
      registers,
    });
    this.reloads = new Counter({
      name: 'aesearch_reloads_total',
      help: 'Index reloads, by outcome (ok or failed)',
      labelNames: ['outcome'],
      registers,
    });
    const metrics = this;
    new Gauge({
      name: 'aesearch_queue_depth',
      help: 'Searches in flight in the work queue (a batch counts a place per image)',
      registers,
      collect() {
        this.set(metrics.source?.queue.inFlight ?? 0);
      },
    });
    new Gauge({
      name: 'aesearch_items',
      help: 'Items in the served index (the largest of the workers in a cluster, which serve the same index)',
      aggregator: 'max',
      registers,
      collect() {
        const provider = metrics.source?.provider;
        if (!provider) return;
        const lease = provider.acquire();
        try {
          this.set(lease.service.count);
        } finally {
          lease.release();
        }
      },
    });
    new Gauge({
      name: 'aesearch_tensors',
      help: 'Live tfjs tensors (a number that keeps growing is a leak)',
      registers,
      collect() {
        this.set(tf.memory().numTensors);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Reads queue depth and items from `queue` and `provider` at each scrape. */
  track(queue: WorkQueue, provider: ServiceProvider): void {
    this.source = { queue, provider };
  }

  /** Counts a reload attempt. */
  countReload(ok: boolean): void {
    this.reloads.inc({ outcome: ok ? 'ok' : 'failed' });
  }

  /** Records a search's time in `space`, in ms. */
  observeSearch(space: QuerySpace, ms: number): void {
    this.spaceLatency.observe({ space }, ms / 1000);
  }

  /** Middleware that counts and times every response by its route (the route's pattern, never its path). */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = performance.now();
      res.once('finish', () => this.record(req, res, (performance.now() - started) / 1000));
      next();
    };
  }

  private record(req: Request, res: Response, seconds: number): void {
    const pattern: unknown = req.route?.path;
    const route = typeof pattern === 'string' ? pattern : NO_ROUTE;
    this.requests.inc({ route, status: String(res.statusCode) });
    this.latency.observe({ route }, seconds);
    if (res.statusCode === 503) this.refusals.inc({ code: String(res.locals.errorCode ?? 'unknown') });
  }
}

/** Gathers the text of a scrape: this app's registry, or every worker's in a cluster. */
export type Scrape = (local: Registry) => Promise<string>;

/** GET /metrics: the text of `scrape` (default: this app's registry). */
export function metricsRoute(metrics: AppMetrics, scrape: Scrape = (local) => local.metrics()): Router {
  const router = Router();
  router.get(METRICS_PATH, async (_req, res) => {
    const text = await scrape(metrics.registry);
    res.type(metrics.registry.contentType).send(text);
  });
  return router;
}
