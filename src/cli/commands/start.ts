/**
 * `aesearch start` (what `npm start` runs): train and index with the default settings when the index
 * folder has no model or no index, then serve.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Config } from '../../config.js';
import type { Dataset } from '../../dataset/types.js';
import { isAesearchError } from '../../errors.js';
import { loadModel } from '../../model/store.js';
import { SearchService } from '../../search/search-service.js';
import { isQuietWorker } from '../../server/cluster.js';
import { serveUntilSignal } from '../../server/serve.js';
import { INDEX_MANIFEST } from '../../store/manifest.js';
import type { BackendInfo } from '../../tfjs/backend.js';
import { resolveTrainConfig } from '../../train/train-config.js';
import { log, openDataset } from '../context.js';
import { waitOption, withIndexLock } from '../index-lock.js';
import { commonOptions } from '../options.js';
import { DEFAULT_INDEX_SETTINGS, indexWithProgress, trainWithProgress } from '../pipeline.js';
import { runServing, type ServerFlags, serverOptions } from './serve.js';

/** The start command's flags. */
interface StartFlags extends ServerFlags {
  wait?: boolean;
}

async function buildIndexWithDefaults(config: Config, backend: BackendInfo, dataset: Dataset): Promise<void> {
  log(`indexing ${dataset.database.count} images into ${config.indexDir}`);
  await indexWithProgress(config, backend, async () => dataset, DEFAULT_INDEX_SETTINGS);
}

/** Why the index folder's model cannot be used ('missing', or the error's first clause), or undefined. */
async function modelProblem(config: Config): Promise<string | undefined> {
  try {
    const model = await loadModel(config.indexDir);
    model.encoder.dispose();
    model.decoder.dispose();
    return undefined;
  } catch (err) {
    if (isAesearchError(err, 'NO_MODEL')) return 'missing';
    if (isAesearchError(err, 'MODEL_CORRUPT')) return err.message.split(';')[0];
    throw err;
  }
}

/** True when the index folder has a usable model and an index manifest. */
async function isComplete(config: Config): Promise<boolean> {
  return !(await modelProblem(config)) && existsSync(join(config.indexDir, INDEX_MANIFEST));
}

/** Trains and indexes what the index folder lacks (or has damaged); returns the dataset it loaded. */
async function repairIndex(config: Config, backend: BackendInfo): Promise<Dataset> {
  const problem = await modelProblem(config);
  const dataset = await openDataset(config);
  if (problem) {
    log(
      problem === 'missing'
        ? `no model in ${config.indexDir}: training one with the default settings`
        : `${problem}: training a new one with the default settings`,
    );
    await trainWithProgress(config, backend, dataset, resolveTrainConfig({}, dataset.side));
  }
  await buildIndexWithDefaults(config, backend, dataset);
  return dataset;
}

/**
 * Repairs an incomplete index folder holding its lock; returns the dataset when it loaded it. Looks
 * again once it holds the lock: the run it waited for may have completed the folder.
 */
async function ensureIndex(
  config: Config,
  backend: BackendInfo,
  wait: boolean,
): Promise<Dataset | undefined> {
  if (await isComplete(config)) return undefined;
  return withIndexLock(config.indexDir, 'start', wait, async () =>
    (await isComplete(config)) ? undefined : repairIndex(config, backend),
  );
}

/** Opens the service; an index built by another model or for other data, or damaged, is rebuilt once. */
async function openService(
  config: Config,
  backend: BackendInfo,
  wait: boolean,
  loaded?: Dataset,
): Promise<SearchService> {
  try {
    return await SearchService.open(loaded ? { ...config, dataset: loaded } : config);
  } catch (err) {
    if (!isAesearchError(err, 'INDEX_MISMATCH') && !isAesearchError(err, 'INDEX_CORRUPT')) throw err;
    log(`${err.message.split(';')[0]}: rebuilding the index`);
    const dataset = loaded ?? (await openDataset(config));
    await withIndexLock(config.indexDir, 'start', wait, () =>
      buildIndexWithDefaults(config, backend, dataset),
    );
    return SearchService.open({ ...config, dataset });
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
    runServing(flags, async (config, backend) => {
      // With several workers, the first trains and indexes what is missing before the others start.
      if (isQuietWorker()) return serveUntilSignal(await SearchService.open(config), config, backend);
      const wait = flags.wait ?? false;
      const dataset = await ensureIndex(config, backend, wait);
      await serveUntilSignal(await openService(config, backend, wait, dataset), config, backend);
    }),
  );
}
