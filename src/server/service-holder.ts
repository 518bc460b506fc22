/**
 * Holds the search service of the moment and swaps in a new one atomically. Each request leases the
 * service it started on; a replaced service is closed only when its last lease is released, so a
 * request that is still decoding its upload when the swap happens encodes on a model that is still alive.
 */
import type { ServiceProvider } from '../http/provider.js';
import type { SearchService } from '../search/search-service.js';
import type { ReloadStatus, ServiceLease } from '../search/service-status.js';
import type { BackendInfo } from '../tfjs/backend.js';

interface Entry {
  readonly service: SearchService;
  leases: number;
  retired: boolean;
}

/** The current service plus the replaced ones that requests still use. */
export class ServiceHolder {
  private entry: Entry;
  private readonly retiring = new Set<Entry>();
  private closed = false;

  /** `closeService` frees a service no request uses any more (its `close` unless a test watches it). */
  constructor(
    service: SearchService,
    private readonly closeService: (service: SearchService) => void = (s) => s.close(),
  ) {
    this.entry = { service, leases: 0, retired: false };
  }

  /** The current service, without a lease: only for synchronous use. */
  get current(): SearchService {
    return this.entry.service;
  }

  /** Leases the current service. */
  acquire(): ServiceLease {
    const entry = this.entry;
    entry.leases++;
    let released = false;
    return {
      service: entry.service,
      release: () => {
        if (released) return;
        released = true;
        entry.leases--;
        this.closeIfDone(entry);
      },
    };
  }

  /**
   * Makes `next` current; the previous service is closed once no lease holds it. After `close`, closes
   * `next` instead and throws (a reload that finishes while the server shuts down).
   */
  swap(next: SearchService): void {
    if (this.closed) {
      this.closeService(next);
      throw new Error('the server closed while the new index was loading');
    }
    const previous = this.entry;
    this.entry = { service: next, leases: 0, retired: false };
    previous.retired = true;
    this.retiring.add(previous);
    this.closeIfDone(previous);
  }

  /** Closes the current service once no lease holds it (retiring ones likewise); for shutdown. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.entry.retired = true;
    this.retiring.add(this.entry);
    for (const entry of [...this.retiring]) this.closeIfDone(entry);
  }

  private closeIfDone(entry: Entry): void {
    if (!entry.retired || entry.leases > 0 || !this.retiring.has(entry)) return;
    this.retiring.delete(entry);
    this.closeService(entry.service);
  }
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
