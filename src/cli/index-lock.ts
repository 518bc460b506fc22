/**
 * The index folder's lock around a command that changes the folder (see store/folder-lock.ts): taken
 * before the command's work, released when it ends, fails, or the process gets SIGINT or SIGTERM.
 */
import { join } from 'node:path';
import { Option } from 'commander';
import { acquireFolderLock, describeHolder, LOCK_FILE } from '../store/folder-lock.js';
import { log } from './context.js';

/** --wait, for the commands that change the index folder. */
export function waitOption(): Option {
  return new Option(
    '--wait',
    'when another aesearch command is changing the index folder, wait for it to finish instead of exiting',
  );
}

/**
 * Runs `run` holding `indexDir`'s lock as `aesearch <command>`. Throws INDEX_LOCKED when another process
 * holds it, unless `wait`, which logs whom it waits for and polls.
 */
export async function withIndexLock<T>(
  indexDir: string,
  command: string,
  wait: boolean,
  run: () => Promise<T>,
): Promise<T> {
  const lock = await acquireFolderLock(indexDir, {
    command: `aesearch ${command}`,
    wait,
    onWait: (holder) => log(`waiting for ${describeHolder(holder)} to finish with ${indexDir}`),
    onTakeOver: (stale) =>
      log(
        stale
          ? `took over the lock of ${indexDir} from ${describeHolder(stale)}, which is no longer running`
          : `replaced ${join(indexDir, LOCK_FILE)}, which was not a lock`,
      ),
  });
  const onExit = () => lock.release();
  const onSignal = (signal: NodeJS.Signals) => {
    lock.release();
    stopWatching();
    // With this handler gone, the same signal ends the process as it would have without the lock.
    process.kill(process.pid, signal);
  };
  const stopWatching = () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);
  try {
    return await run();
  } finally {
    stopWatching();
    lock.release();
  }
}
