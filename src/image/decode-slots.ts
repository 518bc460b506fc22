/**
 * Where server decodes run: at most `slots` at once (sharp works on libuv's thread pool, which file reads
 * share), of which at most `costlySlots` are costly ones (see DecodeCost). A costly decode can hold its slot
 * for seconds and cannot be interrupted, so it never gets every slot: ordinary uploads always keep one.
 * Costly decodes past `costlySlots` wait in their own line, bounded by `costlyWaiting`; past that they are
 * refused at once (DECODE_BUSY) rather than holding their upload in memory. First come, first served
 * within what each may start.
 */
import { createError } from '../errors.js';

/** Seconds a client refused with DECODE_BUSY is asked to wait. */
export const DECODE_RETRY_AFTER_S = 1;

/** Sizes of the slots. */
export interface SlotSizes {
  /** Decodes at once (default 2: two cores busy, two of libuv's four threads left to file reads). */
  readonly slots: number;
  /** Costly decodes at once, within `slots` (default 1). */
  readonly costlySlots: number;
  /** Costly decodes that may wait for a slot (default 4). */
  readonly costlyWaiting: number;
}

/** The default sizes. */
export const DEFAULT_SLOT_SIZES: SlotSizes = Object.freeze({ slots: 2, costlySlots: 1, costlyWaiting: 4 });

interface Waiter {
  readonly costly: boolean;
  readonly start: () => void;
}

/** How many decodes are running and waiting, for tests and health figures. */
export interface SlotState {
  readonly running: number;
  readonly costlyRunning: number;
  readonly waiting: number;
  readonly costlyWaiting: number;
}

/** The decode slots of one server process. */
export class DecodeSlots {
  private running = 0;
  private costlyRunning = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly sizes: SlotSizes = DEFAULT_SLOT_SIZES) {}

  /**
   * Runs `work` once a slot it may take is free. `image` names the image for DECODE_BUSY, thrown at once
   * when `costly` and the costly line is full.
   */
  async run<T>(costly: boolean, image: string, work: () => Promise<T>): Promise<T> {
    if (
      costly &&
      this.costlyRunning + this.costlyWaiters() >= this.sizes.costlySlots + this.sizes.costlyWaiting
    )
      throw createError('DECODE_BUSY', {
        image,
        count: this.sizes.costlySlots + this.sizes.costlyWaiting,
        seconds: DECODE_RETRY_AFTER_S,
      });
    await new Promise<void>((start) => {
      this.waiters.push({ costly, start });
      this.pump();
    });
    try {
      return await work();
    } finally {
      this.running--;
      if (costly) this.costlyRunning--;
      this.pump();
    }
  }

  /** Decodes running and waiting now. */
  get state(): SlotState {
    return {
      running: this.running,
      costlyRunning: this.costlyRunning,
      waiting: this.waiters.length,
      costlyWaiting: this.costlyWaiters(),
    };
  }

  private costlyWaiters(): number {
    return this.waiters.filter((w) => w.costly).length;
  }

  /** Starts waiters in order, each that may start now. */
  private pump(): void {
    for (let i = 0; i < this.waiters.length && this.running < this.sizes.slots; ) {
      const waiter = this.waiters[i] as Waiter;
      if (waiter.costly && this.costlyRunning >= this.sizes.costlySlots) {
        i++;
        continue;
      }
      this.waiters.splice(i, 1);
      this.running++;
      if (waiter.costly) this.costlyRunning++;
      waiter.start();
    }
  }
}
