/**
 * A bounded queue for the CPU work of searches (decoding the upload, encoding it, searching). A request is
 * admitted before its body is read, so the queue bounds memory as well as CPU: past `limit` requests in
 * flight the next one is refused at once with OVERLOADED (503, Retry-After) instead of waiting in memory.
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

  /** `limit`: requests in flight at most (admitted, reading, waiting or running). */
  constructor(readonly limit: number) {}

  /** Admits a request, or throws OVERLOADED when `limit` are in flight; call the returned function once when done. */
  admit(): () => void {
    if (this.admitted >= this.limit) throw createError('OVERLOADED', this.limit, RETRY_AFTER_S);
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
