/**
 * POST /api/search (an uploaded image) and GET /api/items/:id/similar (an indexed item). Both pass the
 * work queue's admission before anything else is read, decode uploads in one of its slots, and send
 * their images and codes through the service's micro-batcher rather than one model call each.
 */
import { type Request, type RequestHandler, type Response, Router } from 'express';
import { decodeToGray, toUnitFloat } from '../../image/preprocess.js';
import { EncodeBatcher } from '../../search/encode-batcher.js';
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

const batchers = new WeakMap<SearchService, EncodeBatcher>();

/** The micro-batcher of `service`'s encoder and decoder (one per service, made on first use). */
function batcherFor(service: SearchService): EncodeBatcher {
  let batcher = batchers.get(service);
  if (!batcher) {
    batcher = new EncodeBatcher(service.state.encoder, service.state.decoder);
    batchers.set(service, batcher);
  }
  return batcher;
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
    const side = service.state.dataset.side;
    const json = await scopeOf(res).hold(async () => {
      const gray = await decodeToGray(upload.bytes, { side, what: upload.what, ...queue.decoding });
      const embedded = await batcherFor(service).embed(toUnitFloat(gray));
      return searchJson(service.searchByPixels(gray, options, null, embedded), options.k, side);
    });
    res.json(json);
  };
}

async function searchSimilar(req: Request, res: Response): Promise<void> {
  const { service, options } = res.locals.search as SearchLocals;
  const id = itemId(req.params, service);
  const pixels = service.itemPixels(id);
  const json = await scopeOf(res).hold(async () => {
    const embedded = await batcherFor(service).reconstruct(service.storedCode(id));
    return searchJson(
      service.searchByPixels(pixels, options, id, embedded),
      options.k,
      service.state.dataset.side,
    );
  });
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
