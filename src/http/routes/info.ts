/** GET /api/stats (dataset, model, index and backend) and GET /api/health (liveness and the served index). */
import { Router } from 'express';
import { describeCollection } from '../../search/catalog.js';
import { memoryFigures } from '../../search/memory.js';
import type { ServiceProvider } from '../provider.js';
import { withoutAbsolutePaths } from '../public-paths.js';
import { serviceFor } from '../request-scope.js';
import type { UploadGuard } from '../upload-guard.js';
import type { WorkQueue } from '../work-queue.js';
import { availableSpaces } from './search.js';

/** The stats and health routes. */
export function infoRoutes(provider: ServiceProvider, queue: WorkQueue, uploads: UploadGuard): Router {
  const router = Router();
  const started = Date.now();
  router.get('/api/stats', async (_req, res) => {
    const service = serviceFor(res, provider);
    const summary = await describeCollection(service);
    res.json(
      withoutAbsolutePaths({
        ...summary,
        spaces: availableSpaces(service),
        backend: { name: provider.backend.name, description: provider.backend.description },
        served: provider.status(),
      }),
    );
  });
  router.get('/api/health', (_req, res) => {
    const { index, loadedAt, lastReload } = provider.status();
    res.json(
      withoutAbsolutePaths({
        status: 'ok',
        items: serviceFor(res, provider).count,
        uptimeSeconds: Math.round((Date.now() - started) / 1000),
        index: { ...index, loadedAt },
        lastReload,
        queue: { inFlight: queue.inFlight, limit: queue.limit },
        uploads: { ...uploads.figures(), bytesLimit: uploads.limits.uploadBytesInFlight },
        memory: memoryFigures(),
      }),
    );
  });
  return router;
}
