/**
 * Reloading the index while serving: loads the index on disk into a new SearchService, completely and off
 * to the side, then swaps it in through the ServiceHolder. A reload that fails keeps the last good service
 * and records why. Reloads never overlap: a request for one while another runs waits for it and then
 * loads again, so the newest files on disk always get their turn.
 */

import type { SearchService } from '../search/search-service.js';
import { describeIndex, type ReloadAttempt, type ReloadStatus } from '../search/service-status.js';
import type { ServiceHolder } from './service-holder.js';

/** Opens the index on disk; gets the service being replaced (to reuse what has not changed). */
export type OpenService = (current: SearchService) => Promise<SearchService>;

/** Serialised, coalescing reloads into a ServiceHolder. */
export class IndexReloader {
  private loadedAt = new Date().toISOString();
  private last: ReloadAttempt | null = null;
  private running: Promise<ReloadStatus> | undefined;
  private queued: Promise<ReloadStatus> | undefined;

  constructor(
    private readonly holder: ServiceHolder,
    private readonly open: OpenService,
    private readonly log: (line: string) => void = () => {},
    /** Told of each attempt's outcome (for the metrics). */
    private readonly onAttempt: (ok: boolean) => void = () => {},
  ) {}

  /** What is served now. */
  status(): ReloadStatus {
    return {
      index: this.holder.current.source.identity,
      loadedAt: this.loadedAt,
      lastReload: this.last,
    };
  }

  /** Reloads (after the running reload, if any); resolves with the status afterwards, never rejects. */
  reload(trigger: string): Promise<ReloadStatus> {
    if (!this.running) {
      this.running = this.attempt(trigger).finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = undefined;
      return this.reload(trigger);
    });
    return this.queued;
  }

  private async attempt(trigger: string): Promise<ReloadStatus> {
    const started = performance.now();
    const before = this.status().index;
    try {
      const next = await this.open(this.holder.current);
      this.holder.swap(next);
      this.loadedAt = new Date().toISOString();
      this.record(trigger, started, null);
      this.onAttempt(true);
      const now = this.status().index;
      this.log(`reloaded (${trigger}): now serving ${describeIndex(now)}, was ${describeIndex(before)}`);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      this.record(trigger, started, reason);
      this.onAttempt(false);
      this.log(`reload failed (${trigger}): ${reason}; still serving ${describeIndex(before)}`);
    }
    return this.status();
  }

  private record(trigger: string, started: number, error: string | null): void {
    this.last = {
      at: new Date().toISOString(),
      trigger,
      ok: error === null,
      error,
      seconds: Math.round(performance.now() - started) / 1000,
    };
  }
}
