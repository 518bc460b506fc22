/**
 * What a request holds until it is really over: its leased search service and its place in the work
 * queue. "Over" means the response has closed (sent, or the client went away) and no handler work is
 * still running; a client that leaves mid-decode must not let a reload dispose the model the handler is
 * about to use, nor free a queue place while its CPU work goes on.
 */
import type { RequestHandler, Response } from 'express';
import { createError } from '../errors.js';
import type { SearchService } from '../search/search-service.js';
import type { ServiceProvider } from './provider.js';

/** Counts what keeps a request alive and runs its clean-ups when the count reaches zero. */
export class RequestScope {
  private holds = 1;
  private readonly cleanups: (() => void)[] = [];
  private service: SearchService | undefined;

  /** Runs `cleanup` when the request is over (at once if it already is). */
  onEnd(cleanup: () => void): void {
    if (this.holds === 0) cleanup();
    else this.cleanups.push(cleanup);
  }

  /**
   * Keeps the request alive while `work` runs, even if the response closes meanwhile. Throws BAD_REQUEST
   * without running `work` when the request is already over (its client left and its lease is gone).
   */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    if (this.holds === 0) throw createError('BAD_REQUEST', { reason: 'the client closed the connection' });
    this.holds++;
    try {
      return await work();
    } finally {
      this.drop();
    }
  }

  /** The service this request leased from `provider` (leased on first use, released when over). */
  serviceFrom(provider: ServiceProvider): SearchService {
    if (!this.service) {
      const lease = provider.acquire();
      this.service = lease.service;
      this.onEnd(() => lease.release());
    }
    return this.service;
  }

  /** Called once when the response closes. */
  drop(): void {
    if (this.holds === 0) return;
    this.holds--;
    if (this.holds > 0) return;
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}

/** Middleware that gives each request a scope, dropped when the response closes. */
export const requestScope: RequestHandler = (_req, res, next) => {
  const scope = new RequestScope();
  res.locals.scope = scope;
  res.once('close', () => scope.drop());
  next();
};

/** The request's scope (set by `requestScope`). */
export function scopeOf(res: Response): RequestScope {
  return res.locals.scope as RequestScope;
}

/** The service the request leased from `provider`. */
export function serviceFor(res: Response, provider: ServiceProvider): SearchService {
  return scopeOf(res).serviceFrom(provider);
}
