/**
 * `aesearch start` (what `npm start` runs): train and index with the default settings when the index
 * folder has no model or no index, then serve.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { INDEX_MANIFEST } from '../../ann/manifest.js';
import type { Config } from '../../config.js';
import type { Dataset } from '../../dataset/types.js';
import { isAesearchError } from '../../errors.js';
import type { BackendInfo } from '../../model/backend.js';
import { MODEL_MANIFEST } from '../../model/store.js';
import { SearchService } from '../../search/search-service.js';
import { log, openDataset, prepare } from '../context.js';
import { commonOptions } from '../options.js';
import {
  DEFAULT_INDEX_SETTINGS,
  DEFAULT_TRAIN_SETTINGS,
  indexWithProgress,
  trainWithProgress,
} from '../pipeline.js';
import { serveUntilSignal } from '../server.js';
import { type ServerFlags, serverOptions, serverOverrides } from './serve.js';

async function buildIndexWithDefaults(config: Config, backend: BackendInfo, dataset: Dataset): Promise<void> {
  log(`indexing ${dataset.database.count} images into ${config.indexDir}`);
  await indexWithProgress(config, backend, async () => dataset, DEFAULT_INDEX_SETTINGS);
}

/** Trains and indexes what the index folder lacks; returns the dataset when it had to load it. */
async function ensureIndex(config: Config, backend: BackendInfo): Promise<Dataset | undefined> {
  const hasModel = existsSync(join(config.indexDir, MODEL_MANIFEST));
  if (hasModel && existsSync(join(config.indexDir, INDEX_MANIFEST))) return undefined;
  const dataset = await openDataset(config);
  if (!hasModel) {
    log(`no model in ${config.indexDir}: training one with the default settings`);
    await trainWithProgress(config, backend, dataset, DEFAULT_TRAIN_SETTINGS);
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
  cmd.action(async (flags: ServerFlags) => {
    const { config, backend } = await prepare(flags, serverOverrides(flags));
    const dataset = await ensureIndex(config, backend);
    const service = await openService(config, backend, dataset);
    await serveUntilSignal(service, config, backend);
  });
}
