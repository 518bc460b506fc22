/**
 * Notices a new index: `aesearch index` renames a new index/manifest.json into place, which replaces the
 * file (a new inode), so the watch is on the folder, not the file. Events come in bursts (the temp file's
 * creation and rename), hence the debounce.
 */
import { type FSWatcher, watch } from 'node:fs';
import { INDEX_MANIFEST, readIndexManifest } from '../store/manifest.js';

/** Quiet time after the last event before reacting, in ms. */
const WATCH_DEBOUNCE_MS = 250;

/** A running watch; `close` stops it. */
export interface IndexWatch {
  close(): void;
}

/** The `dir` named by the manifest on disk, or undefined when there is none or it is no manifest. */
async function manifestDir(indexDir: string): Promise<string | undefined> {
  return readIndexManifest(indexDir).then(
    (manifest) => manifest.dir,
    () => undefined,
  );
}

/**
 * Calls `onChange` after index/manifest.json in `indexDir` changes, unless it still names the index
 * `servedDir()` (a missing or unusable manifest counts as a change, so the failed reload says why).
 * Watch errors (e.g. the folder removed) are reported through `log` and end the watch.
 */
export function watchIndex(
  indexDir: string,
  servedDir: () => string,
  onChange: () => void,
  log: (line: string) => void = () => {},
): IndexWatch {
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const dir = await manifestDir(indexDir);
    if (dir !== servedDir()) onChange();
  };
  const watcher: FSWatcher = watch(indexDir, { persistent: false }, (_event, file) => {
    if (file !== null && file !== INDEX_MANIFEST) return;
    clearTimeout(timer);
    timer = setTimeout(() => void check(), WATCH_DEBOUNCE_MS);
  });
  watcher.on('error', (err) => {
    log(`stopped watching ${indexDir} for new indexes: ${err.message}`);
    watcher.close();
  });
  return {
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
