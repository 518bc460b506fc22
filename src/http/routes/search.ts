/** POST /api/search (an uploaded image) and GET /api/items/:id/similar (an indexed item). */
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
import { searchJson } from '../shape.js';
import { readUpload, uploadedImage } from '../upload.js';

/** The spaces `service`'s index holds, code first. */
export function availableSpaces(service: SearchService): QuerySpace[] {
  return QUERY_SPACES.filter((space) => service.state.indexes[space] !== undefined);
}

interface SearchLocals {
  service: SearchService;
  options: SearchOptions & { k: number };
}

/** Validates the query string before the body is read, and pins one service for the whole request. */
function validateSearch(provider: ServiceProvider): RequestHandler {
  return (req, res, next) => {
    const service = provider.current();
    const locals: SearchLocals = { service, options: searchOptions(req.query, availableSpaces(service)) };
    res.locals.search = locals;
    next();
  };
}

async function searchUpload(req: Request, res: Response): Promise<void> {
  const { service, options } = res.locals.search as SearchLocals;
  const upload = uploadedImage(req);
  const response = await service.searchByImage(upload.bytes, options, upload.what);
  res.json(await searchJson(response, options.k, service.state.dataset.side));
}

async function searchSimilar(req: Request, res: Response): Promise<void> {
  const { service, options } = res.locals.search as SearchLocals;
  const response = service.searchById(itemId(req.params, service), options);
  res.json(await searchJson(response, options.k, service.state.dataset.side));
}

/** The search routes; uploads are capped at `maxUploadBytes`. */
export function searchRoutes(provider: ServiceProvider, maxUploadBytes: number): Router {
  const router = Router();
  router.post('/api/search', validateSearch(provider), ...readUpload(maxUploadBytes), searchUpload);
  router.all('/api/search', methodNotAllowed('POST'));
  router.get('/api/items/:id/similar', validateSearch(provider), searchSimilar);
  return router;
}
