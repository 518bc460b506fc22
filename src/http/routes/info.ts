/** GET /api/stats (dataset, model, index and backend) and GET /api/health. */
import { Router } from 'express';
import { describeCollection } from '../../search/catalog.js';
import type { ServiceProvider } from '../provider.js';
import { availableSpaces } from './search.js';

/** The stats and health routes. */
export function infoRoutes(provider: ServiceProvider): Router {
  const router = Router();
  const started = Date.now();
  router.get('/api/stats', (_req, res) => {
    const service = provider.current();
    res.json({
      ...describeCollection(service.state),
      spaces: availableSpaces(service),
      backend: { name: provider.backend.name, description: provider.backend.description },
    });
  });
  router.get('/api/health', (_req, res) => {
    res.json({
      status: 'ok',
      items: provider.current().count,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    });
  });
  return router;
}
