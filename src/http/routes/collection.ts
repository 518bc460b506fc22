/**
 * Changing the collection over HTTP, for whoever holds the admin token: POST /api/items adds the images
 * of multipart field `image` (at most MAX_ITEM_UPLOADS, optional text field `label`) and answers 201 with
 * what was added, found to be duplicates, or rejected; DELETE /api/items/:id removes an item (204).
 */
import { Router } from 'express';
import { createError } from '../../errors.js';
import { checkToken } from '../admin-token.js';
import { itemId } from '../params.js';
import type { ServiceProvider } from '../provider.js';
import { scopeOf, serviceFor } from '../request-scope.js';
import { readUpload, uploadedImages } from '../upload.js';
import type { UploadGuard } from '../upload-guard.js';
import type { WorkQueue } from '../work-queue.js';

/** Longest label name accepted. */
const MAX_LABEL_LENGTH = 100;

function labelField(body: unknown): string | null {
  const value = (body as Record<string, unknown> | undefined)?.label;
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || value.length > MAX_LABEL_LENGTH || /\p{Cc}/u.test(value))
    throw createError('BAD_PARAMETER', {
      name: 'form field "label"',
      expected: `a label name of at most ${MAX_LABEL_LENGTH} printable characters`,
      got: JSON.stringify(value).slice(0, 60),
    });
  return value;
}

/** The collection-changing routes; `token` is the configured admin token ('' disables them). */
export function collectionRoutes(
  provider: ServiceProvider,
  token: string,
  maxUploadBytes: number,
  queue: WorkQueue,
  uploads: UploadGuard,
): Router {
  const router = Router();
  router.post(
    '/api/items',
    (req, _res, next) => {
      checkToken(req, token);
      next();
    },
    readUpload(maxUploadBytes, uploads),
    async (req, res) => {
      const service = serviceFor(res, provider);
      const label = labelField(req.body);
      const images = uploadedImages(req).map((upload) => ({
        bytes: upload.bytes,
        source: upload.name,
        root: null,
        labelName: label,
        mtimeMs: null,
      }));
      const report = await scopeOf(res).hold(() => service.addImages(images, { decoding: queue.decoding }));
      res.status(201).json(report);
    },
  );
  router.delete('/api/items/:id', async (req, res) => {
    checkToken(req, token);
    const service = serviceFor(res, provider);
    const id = itemId(req.params);
    const removed = await scopeOf(res).hold(() => service.removeItems([id]));
    if (removed.length === 0) throw createError('ITEM_NOT_FOUND', { id });
    res.status(204).end();
  });
  return router;
}
