/** What the HTTP layer searches with: the current service, which a reload may swap, and the backend. */
import type { BackendInfo } from '../model/backend.js';
import type { SearchService } from '../search/search-service.js';

/** Hands each request the search service of the moment; routes never keep a service between requests. */
export interface ServiceProvider {
  /** The service to use for this request. */
  current(): SearchService;
  /** The tfjs backend the service runs on. */
  readonly backend: Pick<BackendInfo, 'name' | 'description'>;
}

/** A provider that always hands out `service`. */
export function fixedProvider(
  service: SearchService,
  backend: Pick<BackendInfo, 'name' | 'description'>,
): ServiceProvider {
  return { current: () => service, backend };
}
