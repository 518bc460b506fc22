/** A counting semaphore: at most `limit` async jobs run at once, the others wait in order. */
export class Semaphore {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Runs `work` once fewer than `limit` jobs are running. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((start) => this.waiting.push(start));
    else this.running++;
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next job, so a newcomer cannot overtake it.
      if (next) next();
      else this.running--;
    }
  }

  /** Jobs running now. */
  get active(): number {
    return this.running;
  }
}
