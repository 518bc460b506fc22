/**
 * POST /api/search (an uploaded image, or a batch of up to MAX_BATCH_FILES) and GET
 * /api/items/:id/similar (an indexed item). An upload's query string is checked and a full queue refuses
 * it before its body is read; the body is read under the UploadGuard's limits, holding neither a place in
 * the work queue nor the service; then it is admitted to the queue (a place per image of a batch) and
 * each image decodes in one of its slots. The search itself (and its micro-batching) is the service's.
 */
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { isAesearchError } from '../../errors.js';
import {
  QUERY_SPACES,
  type QuerySpace,
  type SearchOptions,
  type SearchResponse,
  type SearchService,
} from '../../search/search-service.js';
import { DEFAULT_UNUSUAL_PERCENTILE } from '../../store/error-distribution.js';
import { errorBody, methodNotAllowed } from '../error-handler.js';
import type { AppMetrics } from '../metrics.js';
import { itemId, labelCount, searchOptions } from '../params.js';
import type { ServiceProvider } from '../provider.js';
import { scopeOf, serviceFor } from '../request-scope.js';
import { type SearchJson, searchJson } from '../shape.js';
import { readUpload, type Upload, uploadCount, uploadedBatch, uploadedImage } from '../upload.js';
import type { UploadGuard } from '../upload-guard.js';
import type { WorkQueue } from '../work-queue.js';

/** The spaces `service`'s index holds, code first. */
export function availableSpaces(service: SearchService): QuerySpace[] {
  return QUERY_SPACES.filter((space) => service.source.spaces.includes(space));
}

interface SearchLocals {
  service: SearchService;
  options: SearchOptions & { k: number };
}

/**
 * What stays cheap before an upload's body is read: its query string, checked against the service of the
 * moment (leased only for the check, so a slow body keeps no replaced index alive), and OVERLOADED when
 * the queue is full already.
 */
function checkUpload(provider: ServiceProvider, queue: WorkQueue): RequestHandler {
  return (req, _res, next) => {
    const lease = provider.acquire();
    try {
      searchOptions(req.query, availableSpaces(lease.service), labelCount(lease.service));
    } finally {
      lease.release();
    }
    queue.assertRoom();
    next();
  };
}

/** Validates the query string, then takes a place in the queue (or answers OVERLOADED). */
function admitSearch(provider: ServiceProvider, queue: WorkQueue): RequestHandler {
  return (req, res, next) => {
    const service = serviceFor(res, provider);
    const locals: SearchLocals = {
      service,
      options: searchOptions(req.query, availableSpaces(service), labelCount(service)),
    };
    scopeOf(res).onEnd(queue.admit(uploadCount(req)));
    res.locals.search = locals;
    next();
  };
}

/**
 * One upload's answer; a batch's files are searched at once, so the service's micro-batcher encodes them
 * together, and a file that fails answers with its error in its place.
 */
function searchUpload(queue: WorkQueue, metrics: AppMetrics, unusualPercentile: number): RequestHandler {
  return async (req: Request, res: Response) => {
    const { service, options } = res.locals.search as SearchLocals;
    const search = async (upload: Upload) => {
      const decoding = queue.decoding;
      const found = await service.searchByImage(upload.bytes, options, { what: upload.what, decoding });
      return answerJson(found, service, options, metrics, unusualPercentile);
    };
    const batch = uploadedBatch(req);
    if (batch === undefined) {
      const upload = uploadedImage(req);
      res.json(await scopeOf(res).hold(() => search(upload)));
      return;
    }
    const answers = await scopeOf(res).hold(() =>
      Promise.all(
        batch.map((item) =>
          isAesearchError(item)
            ? errorBody(item)
            : search(item).catch((err: unknown) => {
                if (isAesearchError(err)) return errorBody(err);
                throw err;
              }),
        ),
      ),
    );
    res.json({ batch: answers });
  };
}

function searchSimilar(metrics: AppMetrics, unusualPercentile: number): RequestHandler {
  return async (req: Request, res: Response) => {
    const { service, options } = res.locals.search as SearchLocals;
    const id = itemId(req.params);
    const json = await scopeOf(res).hold(async () =>
      answerJson(await service.searchById(id, options), service, options, metrics, unusualPercentile),
    );
    res.json(json);
  };
}

/**
 * The JSON of a search's answer, its time in each space recorded in `metrics`; a query above the
 * collection's `unusualPercentile`th percentile of unusual-query scores is flagged unusual.
 */
function answerJson(
  found: SearchResponse,
  service: SearchService,
  options: SearchOptions & { k: number },
  metrics: AppMetrics,
  unusualPercentile: number,
): SearchJson {
  for (const result of Object.values(found.spaces)) metrics.observeSearch(result.space, result.ms);
  const threshold = { percentile: unusualPercentile, score: service.unusualThreshold(unusualPercentile) };
  return searchJson(found, options.k, service.source.meta, threshold);
}

/**
 * The search routes; uploads are capped at `maxUploadBytes` and read under `uploads`' limits, both
 * routes pass through `queue`, each space's search time goes into `metrics`, and queries above the
 * collection's `unusualPercentile`th percentile of unusual-query scores are flagged unusual.
 */
export function searchRoutes(
  provider: ServiceProvider,
  maxUploadBytes: number,
  queue: WorkQueue,
  uploads: UploadGuard,
  metrics: AppMetrics,
  unusualPercentile = DEFAULT_UNUSUAL_PERCENTILE,
): Router {
  const router = Router();
  router.post(
    '/api/search',
    checkUpload(provider, queue),
    readUpload(maxUploadBytes, uploads),
    admitSearch(provider, queue),
    searchUpload(queue, metrics, unusualPercentile),
  );
  router.all('/api/search', methodNotAllowed('POST'));
  router.get(
    '/api/items/:id/similar',
    admitSearch(provider, queue),
    searchSimilar(metrics, unusualPercentile),
  );
  return router;
}
