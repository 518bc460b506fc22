/**
 * Browsing the collection: GET /api/items, /api/items/:id, /api/items/:id/image (a thumbnail of the
 * original, in colour, aspect kept, fitted inside `size` px) and /api/items/:id/input (what the model sees).
 */
import { type Request, type Response, Router } from 'express';
import sharp from 'sharp';
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
  readonly cache: LruCache<ImageAnswer>;
  readonly encodes: Semaphore;
}

/** A cache of `cacheBytes` and IMAGE_ENCODE_SLOTS encode slots. */
export function itemImages(cacheBytes: number): ItemImages {
  return {
    cache: new LruCache<ImageAnswer>(cacheBytes, (image) => image.bytes.length),
    encodes: new Semaphore(IMAGE_ENCODE_SLOTS),
  };
}

async function itemJson(service: SearchService, id: number) {
  return { ...(await service.item(id)), imageUrl: itemImageUrl(id) };
}

/** An image answer: its bytes and content type. */
interface ImageAnswer {
  readonly bytes: Buffer;
  readonly type: string;
}

function list(provider: ServiceProvider) {
  return async (req: Request, res: Response): Promise<void> => {
    const service = serviceFor(res, provider);
    const options = listOptions(req.query, service);
    const page = await listItems(service, options);
    res.json({
      offset: options.offset,
      limit: options.limit,
      label: options.label ?? null,
      total: page.total,
      items: page.items.map((item) => ({ ...item, imageUrl: itemImageUrl(item.id) })),
    });
  };
}

/** The item's model input as PNG, or (`original`) its thumbnail fitted inside `size` px. */
async function render(
  service: SearchService,
  id: number,
  size: number,
  original: boolean,
): Promise<ImageAnswer> {
  if (original) {
    const thumb = await service.thumbnail(id);
    if (thumb) {
      const bytes = await sharp(thumb.bytes)
        .resize(size, size, { fit: 'inside', withoutEnlargement: true })
        .webp({ quality: 85 })
        .toBuffer();
      return { bytes, type: 'image/webp' };
    }
  }
  return { bytes: await service.itemPng(id, size), type: 'image/png' };
}

function image(provider: ServiceProvider, { cache, encodes }: ItemImages, original: boolean) {
  return async (req: Request, res: Response): Promise<void> => {
    const service = serviceFor(res, provider);
    const id = itemId(req.params);
    const size = imageSize(req.query);
    await service.item(id);
    // Item ids are never reused, so (store, id) names one picture for good.
    const key = `${service.source.where}:${id}:${size}:${original ? 'o' : 'i'}`;
    const answer = await scopeOf(res).hold(() =>
      cache.get(key, () => encodes.run(() => render(service, id, size, original))),
    );
    res.setHeader('Cache-Control', `public, max-age=${IMAGE_MAX_AGE_S}`);
    res.type(answer.type).send(answer.bytes);
  };
}

/** The item routes, with `images`' cache and encode slots. */
export function itemRoutes(provider: ServiceProvider, images: ItemImages): Router {
  const router = Router();
  router.get('/api/items', list(provider));
  router.get('/api/items/:id', async (req, res) => {
    const service = serviceFor(res, provider);
    res.json(await itemJson(service, itemId(req.params)));
  });
  router.get('/api/items/:id/image', image(provider, images, true));
  router.get('/api/items/:id/input', image(provider, images, false));
  return router;
}
