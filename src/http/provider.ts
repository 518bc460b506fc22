/**
 * What the HTTP layer searches with: a lease on the service of the moment (a reload may swap it at any
 * time), the backend, and, for a server that can reload, its status and the reload itself.
 */

import type { SearchService } from '../search/search-service.js';
import type { ReloadStatus, ServiceLease } from '../search/service-status.js';
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
    status: () => ({ index: service.source.identity, loadedAt, lastReload: null }),
  };
}
