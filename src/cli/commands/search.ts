/** `aesearch search IMAGE_FILE`: nearest neighbours of an image file in code or pixel space. */
import { readFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { createError } from '../../errors.js';
import { QUERY_SPACES, type QuerySpace, SearchService } from '../../search/search-service.js';
import { prepare } from '../context.js';
import { type CommonFlags, commonOptions, intIn } from '../options.js';

interface SearchFlags extends CommonFlags {
  k: number;
  space: QuerySpace;
  json?: boolean;
}

/** Adds the search command to `program`. */
export function registerSearch(program: Command): void {
  const cmd = program
    .command('search')
    .description(
      'print the nearest neighbours of IMAGE_FILE (any format sharp reads), preprocessed as the indexer did',
    )
    .argument('<IMAGE_FILE>', 'query image')
    .option('--k <n>', 'neighbours to return', intIn(1, 1000), 10)
    .addOption(
      new Option('--space <name>', 'code (autoencoder) or pixel distance')
        .choices(QUERY_SPACES)
        .default('code'),
    )
    .option(
      '--json',
      'print one JSON object: { space, k, results: [{ id, label, labelName, source, addedAt, distance }] }',
    );
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(async (file: string, flags: SearchFlags) => {
    const { config } = await prepare(flags);
    const bytes = await readFile(file).catch(() => {
      throw createError('FILE_NOT_FOUND', { file });
    });
    // The pixel index (the bigger one by far) is opened only when it is searched.
    const service = await SearchService.open(config.indexDir, { ...config, pixel: flags.space === 'pixel' });
    try {
      const response = await service.searchByImage(
        bytes,
        { k: flags.k, spaces: [flags.space] },
        { what: file },
      );
      const results = response.spaces[flags.space]?.results ?? [];
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ space: flags.space, k: flags.k, results })}\n`);
        return;
      }
      process.stdout.write(`${results.length} nearest by ${flags.space} distance to ${file}:\n`);
      for (const [rank, r] of results.entries()) {
        process.stdout.write(
          `${String(rank + 1).padStart(3)}. id ${String(r.id).padStart(6)}  ${(r.labelName ?? '-').padEnd(12)}  ${r.distance.toFixed(4)}  ${r.source}\n`,
        );
      }
    } finally {
      service.close();
    }
  });
}
