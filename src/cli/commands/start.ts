/**
 * `aesearch start` (what `npm start` runs): serve the index folder, first training and indexing with the
 * default settings what it lacks: the errors of opening the index say what (no or a damaged model: train
 * and index; no, a damaged or a mismatched index: index).
 */
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import { type AesearchError, isAesearchError } from '../../errors.js';
import { openService } from '../../search/open-service.js';
import { SearchService } from '../../search/search-service.js';
import { serveIndex, serveUntilSignal } from '../../server/serve.js';
import type { BackendInfo } from '../../tfjs/backend.js';
import { resolveTrainConfig } from '../../train/train-config.js';
import { log, openDataset, seedSource } from '../context.js';
import { waitOption, withIndexLock } from '../index-lock.js';
import { commonOptions } from '../options.js';
import { DEFAULT_INDEX_SETTINGS, indexWithProgress, trainWithProgress } from '../pipeline.js';
import { type ServerFlags, serveCommand, serverOptions } from './serve.js';

/** The start command's flags. */
interface StartFlags extends ServerFlags {
  wait?: boolean;
}

/** What to rebuild after `err` from opening the index, with the line that says why; undefined: nothing helps. */
function repairFor(err: unknown, config: Config): { train: boolean; why: string | undefined } | undefined {
  if (!isAesearchError(err)) return undefined;
  const clause = (e: AesearchError) => e.message.split(';')[0];
  switch (err.code) {
    case 'NO_MODEL':
      return { train: true, why: `no model in ${config.indexDir}: training one with the default settings` };
    case 'MODEL_CORRUPT':
      return { train: true, why: `${clause(err)}: training a new one with the default settings` };
    case 'NO_INDEX':
      return { train: false, why: undefined };
    case 'INDEX_MISMATCH':
    case 'INDEX_CORRUPT':
      return { train: false, why: `${clause(err)}: rebuilding the index` };
    default:
      return undefined;
  }
}

/** Trains (when `repair.train`) and indexes with the default settings, then opens the index. */
async function rebuild(
  config: Config,
  backend: BackendInfo,
  repair: { train: boolean; why: string | undefined },
): Promise<SearchService> {
  if (repair.why) log(repair.why);
  const dataset = await openDataset(config);
  if (repair.train) await trainWithProgress(config, backend, dataset, resolveTrainConfig({}, dataset.format));
  log(`indexing into ${config.indexDir}`);
  const seed = seedSource(config);
  await indexWithProgress(config, backend, { seed }, DEFAULT_INDEX_SETTINGS);
  return SearchService.open(config.indexDir);
}

/**
 * Opens the index folder, training and indexing first (once, holding the folder's lock) what it lacks or
 * has damaged. Under the lock it looks again: the run it waited for may have completed the folder.
 */
async function openRepairing(config: Config, backend: BackendInfo, wait: boolean): Promise<SearchService> {
  // A PostgreSQL store is built by `aesearch index --store URL`, never by a server.
  if (config.store !== null) return openService(config);
  try {
    return await SearchService.open(config.indexDir);
  } catch (err) {
    if (!repairFor(err, config)) throw err;
    return withIndexLock(config.indexDir, 'start', wait, async () => {
      try {
        return await SearchService.open(config.indexDir);
      } catch (again) {
        const repair = repairFor(again, config);
        if (!repair) throw again;
        return rebuild(config, backend, repair);
      }
    });
  }
}

/** Adds the start command to `program`. */
export function registerStart(program: Command): void {
  const cmd = program
    .command('start')
    .description(
      'train and index with the default settings when the index folder has no model or no index, then serve',
    );
  for (const o of [...serverOptions(), waitOption(), ...commonOptions()]) cmd.addOption(o);
  cmd.action((flags: StartFlags) =>
    serveCommand(flags, async (config, backend, here) => {
      // With several workers, the first trains and indexes what is missing before the others start.
      if (here.quiet) return serveIndex(config, backend, here);
      const service = await openRepairing(config, backend, flags.wait ?? false);
      await serveUntilSignal(service, config, backend, here);
    }),
  );
}
