/**
 * What the HTTP layer searches with: a lease on the service of the moment (a reload may swap it at any
 * time), the backend, and, for a server that can reload, its status and the reload itself.
 */

import type { SearchService } from '../search/search-service.js';
import type { ReloadStatus } from '../server/index-reloader.js';
import { indexIdentity } from '../server/index-reloader.js';
import type { ServiceHolder, ServiceLease } from '../server/service-holder.js';
import type { BackendInfo } from '../tfjs/backend.js';

/** Hands each request a lease on the current service; routes never keep a service between requests. */
export interface ServiceProvider {
  /** Leases the service for one request; the request scope releases it when the request is over. */
  acquire(): ServiceLease;
  /** The tfjs backend the service runs on. */
  readonly backend: Pick<BackendInfo, 'name' | 'description'>;
  /** The served index and the last reload. */
  status(): ReloadStatus;
  /** Loads the index on disk and swaps to it; absent when this provider cannot reload. */
  reload?(trigger: string): Promise<ReloadStatus>;
}

/** A provider that always hands out `service` (tests, and servers without reloads). */
export function fixedProvider(
  service: SearchService,
  backend: Pick<BackendInfo, 'name' | 'description'>,
): ServiceProvider {
  const loadedAt = new Date().toISOString();
  return {
    acquire: () => ({ service, release: () => {} }),
    backend,
    status: () => ({ index: indexIdentity(service.state.indexManifest), loadedAt, lastReload: null }),
  };
}

/** A provider over a ServiceHolder, reloading through `reload` when given. */
export function holderProvider(
  holder: ServiceHolder,
  backend: Pick<BackendInfo, 'name' | 'description'>,
  reloader: { status(): ReloadStatus; reload(trigger: string): Promise<ReloadStatus> },
): ServiceProvider {
  return {
    acquire: () => holder.acquire(),
    backend,
    status: () => reloader.status(),
    reload: (trigger) => reloader.reload(trigger),
  };
}
