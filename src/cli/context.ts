/** What every command does first: load config, pick the backend and say which, load the dataset. */
import type { SeedSource } from '../collection/seed.js';
import { type Config, loadConfig } from '../config.js';
import { loadDataset } from '../dataset/load.js';
import type { Dataset } from '../dataset/types.js';
import { type BackendInfo, initBackend } from '../tfjs/backend.js';
import { type CommonFlags, configOverrides } from './options.js';
import { startBar } from './progress.js';

/** Writes a line to stderr (logs; stdout is for results). */
export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Starts the backend `config` names; prints the backend line unless `quiet`. */
export async function startBackend(config: Config, quiet = false): Promise<BackendInfo> {
  const backend = await initBackend(config.backend);
  if (!quiet) log(`backend: ${backend.description}`);
  return backend;
}

/** Config and backend for a command; prints the backend line. */
export async function prepare(
  flags: CommonFlags,
  extra: Record<string, unknown> = {},
): Promise<{ config: Config; backend: BackendInfo }> {
  const config = loadConfig({ ...configOverrides(flags), ...extra });
  return { config, backend: await startBackend(config) };
}

/** Where `index` seeds the collection from: the configured data, read in the configured format. */
export function seedSource(config: Config): SeedSource {
  return { data: config.data, searchPath: config.dataPath, imageSize: config.imageSize, gray: config.gray };
}

/** Loads the configured dataset with a progress bar for image folders, reporting skipped files. */
export async function openDataset(config: Config, limit?: number): Promise<Dataset> {
  let bar: ReturnType<typeof startBar> | undefined;
  const dataset = await loadDataset({
    data: config.data,
    imageSize: config.imageSize,
    gray: config.gray,
    searchPath: config.dataPath,
    limit,
    onProgress: (done, total) => {
      bar ??= startBar('reading images', total);
      bar.update(done);
    },
    onSkip: (file, reason) => log(`skipped ${file}: ${reason}`),
  });
  bar?.stop();
  log(`dataset: ${dataset.name} from ${dataset.origin}; ${dataset.split}`);
  return dataset;
}
