/**
 * A bounded queue for the CPU work of searches (decoding the upload, encoding it, searching). An upload is
 * admitted once its body is in memory, so a slow client holds no place while it sends; past `limit`
 * searches in flight the next one is refused with OVERLOADED (503, Retry-After) instead of waiting in
 * memory, and an upload that arrives while the queue is full is refused before its body is read.
 * Admitted uploads decode within `decoding`: its budget, checked against each header, and its slots.
 */
import { createError } from '../errors.js';
import { DEFAULT_DECODE_BUDGET, type DecodeBudget } from '../image/decode-budget.js';
import { DecodeSlots } from '../image/decode-slots.js';

/** Seconds a refused client is asked to wait before retrying. */
export const RETRY_AFTER_S = 1;

/** How admitted uploads decode: the budget each must fit and the slots they run in. */
export interface Decoding {
  readonly budget: DecodeBudget;
  readonly slots: DecodeSlots;
}

/** Admission and concurrency limits of the search routes. */
export class WorkQueue {
  private admitted = 0;

  /** `limit`: searches in flight at most (admitted, waiting or running). */
  constructor(
    readonly limit: number,
    readonly decoding: Decoding = { budget: DEFAULT_DECODE_BUDGET, slots: new DecodeSlots() },
  ) {}

  /** Throws OVERLOADED when `limit` searches are in flight: a cheap check before reading a body. */
  assertRoom(): void {
    if (this.admitted >= this.limit)
      throw createError('OVERLOADED', { limit: this.limit, seconds: RETRY_AFTER_S });
  }

  /**
   * Admits a search of `units` images (a batch holds a place per image, at most the whole queue), or
   * throws OVERLOADED when they do not fit; call the returned function once when done.
   */
  admit(units = 1): () => void {
    const places = Math.min(Math.max(1, units), this.limit);
    if (this.admitted + places > this.limit)
      throw createError('OVERLOADED', { limit: this.limit, seconds: RETRY_AFTER_S });
    this.admitted += places;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.admitted -= places;
    };
  }

  /** Requests in flight now. */
  get inFlight(): number {
    return this.admitted;
  }
}
