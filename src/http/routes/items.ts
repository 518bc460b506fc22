/** Browsing the collection: GET /api/items, /api/items/:id and /api/items/:id/image. */
import { type Request, type Response, Router } from 'express';
import { listItems } from '../../search/catalog.js';
import type { SearchService } from '../../search/search-service.js';
import { Semaphore } from '../../util/semaphore.js';
import { LruCache } from '../image-cache.js';
import { imageSize, itemId, listOptions } from '../params.js';
import type { ServiceProvider } from '../provider.js';
import { scopeOf, serviceFor } from '../request-scope.js';
import { itemImageUrl } from '../shape.js';

/** How long browsers may keep an item image, in seconds. */
export const IMAGE_MAX_AGE_S = 3600;

/** Item images encoded at once: the rest wait, so a sweep of sizes cannot take every libuv thread. */
export const IMAGE_ENCODE_SLOTS = 2;

/** The item images' cache and encode slots (one per app). */
export interface ItemImages {
  readonly cache: LruCache<Buffer>;
  readonly encodes: Semaphore;
}

/** A cache of `cacheBytes` and IMAGE_ENCODE_SLOTS encode slots. */
export function itemImages(cacheBytes: number): ItemImages {
  return {
    cache: new LruCache<Buffer>(cacheBytes, (png) => png.length),
    encodes: new Semaphore(IMAGE_ENCODE_SLOTS),
  };
}

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

function image(provider: ServiceProvider, { cache, encodes }: ItemImages) {
  return async (req: Request, res: Response): Promise<void> => {
    const service = serviceFor(res, provider);
    const id = itemId(req.params, service);
    const size = imageSize(req.query);
    service.item(id);
    const key = `${service.state.dataset.fingerprint}:${id}:${size}`;
    const png = await scopeOf(res).hold(() =>
      cache.get(key, () => encodes.run(() => service.itemPng(id, size))),
    );
    res.setHeader('Cache-Control', `public, max-age=${IMAGE_MAX_AGE_S}`);
    res.type('png').send(png);
  };
}

/** The item routes, with `images`' cache and encode slots. */
export function itemRoutes(provider: ServiceProvider, images: ItemImages): Router {
  const router = Router();
  router.get('/api/items', list(provider));
  router.get('/api/items/:id', (req, res) => {
    const service = serviceFor(res, provider);
    res.json(itemJson(service, itemId(req.params, service)));
  });
  router.get('/api/items/:id/image', image(provider, images));
  return router;
}
