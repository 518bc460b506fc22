/** `aesearch index`: embed every database image and build the code (and pixel) HNSW indexes. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { loadConfig } from '../../config.js';
import { METRICS, type Metric } from '../../store/vector-index.js';
import { seedSource, startBackend } from '../context.js';
import { waitOption, withIndexLock } from '../index-lock.js';
import { type CommonFlags, commonOptions, configOverrides, intIn } from '../options.js';
import { DEFAULT_INDEX_SETTINGS, indexWithProgress, publishWithProgress } from '../pipeline.js';

interface IndexFlags extends CommonFlags {
  m: number;
  efConstruction: number;
  efSearch: number;
  metric: Metric;
  pixel: boolean;
  limit?: number;
  wait?: boolean;
  compact?: boolean;
}

/** Adds the index command to `program`. */
export function registerIndex(program: Command): void {
  const cmd = program
    .command('index')
    .description(
      'seed the collection from --data (or keep it, with its added and removed items, when it is that one), embed every item with the trained encoder and build the HNSW indexes (code, and pixel unless --no-pixel); with --store postgres://..., then publish it into that PostgreSQL store (created or migrated here, never by serve)',
    )
    .option('--m <n>', 'HNSW links per node', intIn(2, 200), DEFAULT_INDEX_SETTINGS.m)
    .option(
      '--ef-construction <n>',
      'HNSW candidate list while building',
      intIn(1, 10_000),
      DEFAULT_INDEX_SETTINGS.efConstruction,
    )
    .option(
      '--ef-search <n>',
      'HNSW candidate list while searching',
      intIn(1, 10_000),
      DEFAULT_INDEX_SETTINGS.efSearch,
    )
    .addOption(
      new Option('--metric <name>', 'distance for the code index')
        .choices(METRICS)
        .default(DEFAULT_INDEX_SETTINGS.metric),
    )
    .option('--no-pixel', 'skip the raw-pixel index (built by default, for comparison)')
    .option('--limit <n>', 'seed the collection with the first N images only', intIn(1, 10_000_000))
    .option(
      '--compact',
      'rebuild the vector indexes from the collection as it is (stored codes, no --data), reclaiming the slots of removed items',
    );
  for (const o of [waitOption(), ...commonOptions()]) cmd.addOption(o);
  cmd.action(async (flags: IndexFlags) => {
    const config = loadConfig(configOverrides(flags));
    const manifest = await withIndexLock(config.indexDir, 'index', flags.wait ?? false, async () => {
      const backend = await startBackend(config);
      const source = flags.compact
        ? ({ compact: true } as const)
        : { seed: { ...seedSource(config), limit: flags.limit } };
      return indexWithProgress(config, backend, source, flags);
    });
    if (config.store !== null) {
      const published = await publishWithProgress(config.store, config.indexDir);
      process.stdout.write(
        `published to the PostgreSQL store at ${published.where}: ${published.items} items` +
          `${published.copied > 0 ? ` (${published.copied} copied from ${config.indexDir})` : ''}` +
          `${published.embedded > 0 ? `, ${published.embedded} embedded now` : ''} in ${published.seconds.toFixed(1)} s\n`,
      );
    }
    process.stdout.write(
      `indexed ${manifest.collection.count} images of ${manifest.collection.name} (model ${manifest.model.weightsHash}, ` +
        `code ${manifest.code.dims}-d ${manifest.code.metric}) in ${manifest.totalSeconds.toFixed(1)} s into ${config.indexDir}\n`,
    );
  });
}
