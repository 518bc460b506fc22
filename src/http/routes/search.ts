/**
 * POST /api/search (an uploaded image) and GET /api/items/:id/similar (an indexed item). Both pass the
 * work queue's admission before anything else is read; uploads decode in one of its slots. The search
 * itself (and its micro-batching) is the service's.
 */
import { type Request, type RequestHandler, type Response, Router } from 'express';
import {
  QUERY_SPACES,
  type QuerySpace,
  type SearchOptions,
  type SearchService,
} from '../../search/search-service.js';
import { methodNotAllowed } from '../error-handler.js';
import { itemId, searchOptions } from '../params.js';
import type { ServiceProvider } from '../provider.js';
import { scopeOf, serviceFor } from '../request-scope.js';
import { searchJson } from '../shape.js';
import { readUpload, uploadedImage } from '../upload.js';
import type { WorkQueue } from '../work-queue.js';

/** The spaces `service`'s index holds, code first. */
export function availableSpaces(service: SearchService): QuerySpace[] {
  return QUERY_SPACES.filter((space) => service.state.indexes[space] !== undefined);
}

interface SearchLocals {
  service: SearchService;
  options: SearchOptions & { k: number };
}

/** Validates the query string, then takes a place in the queue (or answers OVERLOADED) before the body is read. */
function admitSearch(provider: ServiceProvider, queue: WorkQueue): RequestHandler {
  return (req, res, next) => {
    const service = serviceFor(res, provider);
    const locals: SearchLocals = { service, options: searchOptions(req.query, availableSpaces(service)) };
    scopeOf(res).onEnd(queue.admit());
    res.locals.search = locals;
    next();
  };
}

function searchUpload(queue: WorkQueue): RequestHandler {
  return async (req: Request, res: Response) => {
    const { service, options } = res.locals.search as SearchLocals;
    const upload = uploadedImage(req);
    const json = await scopeOf(res).hold(async () => {
      const found = await service.searchByImage(upload.bytes, options, {
        what: upload.what,
        decoding: queue.decoding,
      });
      return searchJson(found, options.k, service.state.dataset.side);
    });
    res.json(json);
  };
}

async function searchSimilar(req: Request, res: Response): Promise<void> {
  const { service, options } = res.locals.search as SearchLocals;
  const id = itemId(req.params, service);
  const json = await scopeOf(res).hold(async () =>
    searchJson(await service.searchById(id, options), options.k, service.state.dataset.side),
  );
  res.json(json);
}

/** The search routes; uploads are capped at `maxUploadBytes`, and both routes pass through `queue`. */
export function searchRoutes(provider: ServiceProvider, maxUploadBytes: number, queue: WorkQueue): Router {
  const router = Router();
  router.post(
    '/api/search',
    admitSearch(provider, queue),
    ...readUpload(maxUploadBytes),
    searchUpload(queue),
  );
  router.all('/api/search', methodNotAllowed('POST'));
  router.get('/api/items/:id/similar', admitSearch(provider, queue), searchSimilar);
  return router;
}
