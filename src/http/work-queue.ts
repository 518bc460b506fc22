/**
 * A bounded queue for the CPU work of searches (decoding the upload, encoding it, searching). An upload is
 * admitted once its body is in memory, so a slow client holds no place while it sends; past `limit`
 * searches in flight the next one is refused with OVERLOADED (503, Retry-After) instead of waiting in
 * memory, and an upload that arrives while the queue is full is refused before its body is read.
 * Admitted requests run at most DECODE_SLOTS decodes at a time (sharp works on libuv's thread pool).
 */
import { createError } from '../errors.js';

/** Seconds a refused client is asked to wait before retrying. */
export const RETRY_AFTER_S = 1;

/**
 * Decodes in flight at once: enough to keep two cores busy, while leaving two of libuv's four threads to
 * file reads (static files, and loading a new index during a reload, which otherwise queued behind decodes).
 */
const DECODE_SLOTS = 2;

/** Admission and concurrency limits of the search routes. */
export class WorkQueue {
  private admitted = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  /** `limit`: searches in flight at most (admitted, waiting or running). */
  constructor(readonly limit: number) {}

  /** Throws OVERLOADED when `limit` searches are in flight: a cheap check before reading a body. */
  assertRoom(): void {
    if (this.admitted >= this.limit) throw createError('OVERLOADED', this.limit, RETRY_AFTER_S);
  }

  /** Admits a search, or throws OVERLOADED when `limit` are in flight; call the returned function once when done. */
  admit(): () => void {
    this.assertRoom();
    this.admitted++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.admitted--;
    };
  }

  /** Runs `work` once one of the DECODE_SLOTS is free. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= DECODE_SLOTS) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.admitted;
  }
}
