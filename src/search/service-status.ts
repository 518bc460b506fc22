/**
 * What a server reports about the service it serves: which index it was loaded from, when, and how the
 * last reload went. Shared by the serving lifecycle (server/) and the routes that report it (http/).
 */
import type { IndexManifest } from '../store/manifest.js';
import type { SearchService } from './search-service.js';

/** Which index a service was loaded from. */
export interface IndexIdentity {
  /** The ann folder (`ann-<time>-<pid>`), unique per build. */
  readonly id: string;
  readonly builtAt: string;
  readonly items: number;
}

/** The outcome of the last reload. */
export interface ReloadAttempt {
  readonly at: string;
  /** What asked for it, e.g. `index/manifest.json changed` or `POST /api/admin/reload`. */
  readonly trigger: string;
  readonly ok: boolean;
  /** Why it failed; null when it succeeded. */
  readonly error: string | null;
  readonly seconds: number;
}

/** What is served now and how the last reload went. */
export interface ReloadStatus {
  readonly index: IndexIdentity;
  /** When the served index was loaded. */
  readonly loadedAt: string;
  readonly lastReload: ReloadAttempt | null;
}

/** The identity of `manifest`'s index. */
export function indexIdentity(manifest: IndexManifest): IndexIdentity {
  return { id: manifest.dir, builtAt: manifest.builtAt, items: manifest.collection.count };
}

/** `ann-... (N items, built at ...)`, for log lines. */
export function describeIndex(index: IndexIdentity): string {
  return `${index.id} (${index.items} items, built at ${index.builtAt})`;
}

/** A service pinned for one request; `release` exactly once when the request is done with it. */
export interface ServiceLease {
  readonly service: SearchService;
  release(): void;
}
