/**
 * POST /api/admin/reload: loads the index on disk and swaps to it, for whoever holds the admin token
 * (`Authorization: Bearer <token>`). Without a configured token the route answers ADMIN_DISABLED.
 */
import { Router } from 'express';
import { createError } from '../../errors.js';
import { describeIndex } from '../../search/service-status.js';
import { checkToken } from '../admin-token.js';
import { methodNotAllowed } from '../error-handler.js';
import type { ServiceProvider } from '../provider.js';

/** The admin routes; `token` is the configured admin token ('' disables them). */
export function adminRoutes(provider: ServiceProvider, token: string): Router {
  const router = Router();
  router.post('/api/admin/reload', async (req, res) => {
    checkToken(req, token);
    if (!provider.reload) throw createError('ADMIN_DISABLED');
    const status = await provider.reload('POST /api/admin/reload');
    const last = status.lastReload;
    if (last && !last.ok)
      throw createError('RELOAD_FAILED', {
        reason: last.error ?? 'unknown',
        served: describeIndex(status.index),
      });
    res.json({ reloaded: true, ...status });
  });
  router.all('/api/admin/reload', methodNotAllowed('POST'));
  return router;
}
