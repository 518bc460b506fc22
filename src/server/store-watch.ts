/**
 * Notices a new build in a PostgreSQL store: `aesearch index --store URL` publishes its build record last,
 * so a server polls that record and reloads when it names another build than the one served.
 */
import type { CollectionSource } from '../store/collection-source.js';
import { PgSource } from '../store/pg/pg-source.js';
import type { IndexWatch } from './index-watch.js';

/** How often a server asks the store which build it holds, in ms. */
export const STORE_POLL_MS = 1000;

/**
 * Calls `onChange` when the store behind `current()` publishes a build other than the one it serves.
 * A store that cannot be reached is reported once through `log` until it answers again.
 */
export function watchStoreBuild(
  current: () => CollectionSource,
  onChange: () => void,
  log: (line: string) => void = () => {},
): IndexWatch {
  let failing = false;
  const timer = setInterval(async () => {
    const source = current();
    if (!(source instanceof PgSource)) return;
    try {
      const build = await source.store.build();
      failing = false;
      if (build && build.manifest.dir !== source.identity.id) onChange();
    } catch (err) {
      if (!failing) log(`could not ask the store for a new build: ${(err as Error).message}`);
      failing = true;
    }
  }, STORE_POLL_MS);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
