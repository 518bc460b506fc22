/** A small promise pool: a fixed number of async tasks in flight over a list. */

/**
 * Calls `fn` on every item with at most `concurrency` calls in flight, in list order, and resolves with
 * the results in list order. Rejects with the first error; calls already started still run to their end.
 */
export async function mapWithConcurrency<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
