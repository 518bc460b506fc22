/**
 * GET /api/duplicates?maxDistance=&offset=&limit=: the collection's near-duplicate groups within
 * maxDistance in code space (default: the collection's default D), closest first, a page at a time.
 */
import { type Request, type Response, Router } from 'express';
import { findDuplicates } from '../../search/duplicate-finder.js';
import type { DuplicateGroup } from '../../search/duplicates.js';
import type { SearchService } from '../../search/search-service.js';
import { duplicatesOptions } from '../params.js';
import type { ServiceProvider } from '../provider.js';
import { scopeOf, serviceFor } from '../request-scope.js';
import { itemImageUrl } from '../shape.js';

async function groupJson(service: SearchService, group: DuplicateGroup) {
  return {
    items: await Promise.all(
      group.ids.map(async (id) => {
        const { label, labelName } = await service.item(id);
        return { id, label, labelName, imageUrl: itemImageUrl(id) };
      }),
    ),
    distance: group.distance,
    exact: group.exact,
  };
}

function list(provider: ServiceProvider) {
  return async (req: Request, res: Response): Promise<void> => {
    const service = serviceFor(res, provider);
    const options = duplicatesOptions(req.query);
    // Held: building the neighbour graph runs while a reload could otherwise close the service.
    const answer = await scopeOf(res).hold(() => findDuplicates(service, options.maxDistance));
    const page = answer.groups.slice(options.offset, options.offset + options.limit);
    const groups = await Promise.all(page.map((group) => groupJson(service, group)));
    res.json({
      maxDistance: answer.maxDistance,
      defaultMaxDistance: answer.defaultMaxDistance,
      offset: options.offset,
      limit: options.limit,
      total: answer.groups.length,
      groups,
    });
  };
}

/** The duplicates route. */
export function duplicatesRoutes(provider: ServiceProvider): Router {
  const router = Router();
  router.get('/api/duplicates', list(provider));
  return router;
}
