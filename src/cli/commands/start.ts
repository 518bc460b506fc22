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
import { commonOptions } from '../options.js';
import { DEFAULT_INDEX_SETTINGS, indexWithProgress, trainWithProgress } from '../pipeline.js';
import { runServing, type ServerFlags, serverOptions } from './serve.js';

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

/** Trains and indexes what the index folder lacks (or has damaged); returns the dataset when it loaded it. */
async function ensureIndex(config: Config, backend: BackendInfo): Promise<Dataset | undefined> {
  const problem = await modelProblem(config);
  if (!problem && existsSync(join(config.indexDir, INDEX_MANIFEST))) return undefined;
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

/** Opens the service; an index built by another model or for other data, or damaged, is rebuilt once. */
async function openService(config: Config, backend: BackendInfo, loaded?: Dataset): Promise<SearchService> {
  try {
    return await SearchService.open(loaded ? { ...config, dataset: loaded } : config);
  } catch (err) {
    if (!isAesearchError(err, 'INDEX_MISMATCH') && !isAesearchError(err, 'INDEX_CORRUPT')) throw err;
    log(`${err.message.split(';')[0]}: rebuilding the index`);
    const dataset = loaded ?? (await openDataset(config));
    await buildIndexWithDefaults(config, backend, dataset);
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
  for (const o of [...serverOptions(), ...commonOptions()]) cmd.addOption(o);
  cmd.action((flags: ServerFlags) =>
    runServing(flags, async (config, backend) => {
      // With several workers, the first trains and indexes what is missing before the others start.
      if (isQuietWorker()) return serveUntilSignal(await SearchService.open(config), config, backend);
      const dataset = await ensureIndex(config, backend);
      await serveUntilSignal(await openService(config, backend, dataset), config, backend);
    }),
  );
}
