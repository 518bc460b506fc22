/** GET /api/map: the map of the collection laid out when the index was built (see store/map-layout.ts). */
import { Router } from 'express';
import { createError } from '../../errors.js';
import type { ServiceProvider } from '../provider.js';
import { serviceFor } from '../request-scope.js';

/** The map route: `{ method, labelNames, points: [{ id, x, y, label }] }`, or MAP_UNAVAILABLE. */
export function mapRoutes(provider: ServiceProvider): Router {
  const router = Router();
  router.get('/api/map', async (_req, res) => {
    const service = serviceFor(res, provider);
    const map = await service.map();
    if (!map) throw createError('MAP_UNAVAILABLE');
    const labelNames = [...new Set(map.points.map((p) => p.label))]
      .filter((label) => label !== null)
      .sort((a, b) => a - b)
      .map((label) => ({ label, name: service.labelName(label) }));
    res.json({ method: map.method, count: map.points.length, labels: labelNames, points: map.points });
  });
  return router;
}
