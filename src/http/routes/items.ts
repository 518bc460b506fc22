/** Browsing the collection: GET /api/items, /api/items/:id and /api/items/:id/image. */
import { type Request, type Response, Router } from 'express';
import { listItems } from '../../search/catalog.js';
import type { SearchService } from '../../search/search-service.js';
import { LruCache } from '../image-cache.js';
import { imageSize, itemId, listOptions } from '../params.js';
import type { ServiceProvider } from '../provider.js';
import { serviceFor } from '../request-scope.js';
import { itemImageUrl } from '../shape.js';

/** How long browsers may keep an item image, in seconds. */
export const IMAGE_MAX_AGE_S = 3600;

function itemJson(service: SearchService, id: number) {
  return { ...service.item(id), imageUrl: itemImageUrl(id) };
}

function list(provider: ServiceProvider) {
  return (req: Request, res: Response): void => {
    const service = serviceFor(res, provider);
    const options = listOptions(req.query, service);
    const page = listItems(service.state, options);
    res.json({
      offset: options.offset,
      limit: options.limit,
      label: options.label ?? null,
      total: page.total,
      items: page.items.map((item) => ({ ...item, imageUrl: itemImageUrl(item.id) })),
    });
  };
}

function image(provider: ServiceProvider, cache: LruCache<Buffer>) {
  return async (req: Request, res: Response): Promise<void> => {
    const service = serviceFor(res, provider);
    const id = itemId(req.params, service);
    const size = imageSize(req.query);
    service.item(id);
    const key = `${service.state.dataset.fingerprint}:${id}:${size}`;
    const png = await cache.get(key, () => service.itemPng(id, size));
    res.setHeader('Cache-Control', `public, max-age=${IMAGE_MAX_AGE_S}`);
    res.type('png').send(png);
  };
}

/** The item routes, with an in-memory cache of `cacheEntries` encoded images. */
export function itemRoutes(provider: ServiceProvider, cacheEntries = 2000): Router {
  const router = Router();
  const cache = new LruCache<Buffer>(cacheEntries);
  router.get('/api/items', list(provider));
  router.get('/api/items/:id', (req, res) => {
    const service = serviceFor(res, provider);
    res.json(itemJson(service, itemId(req.params, service)));
  });
  router.get('/api/items/:id/image', image(provider, cache));
  return router;
}
