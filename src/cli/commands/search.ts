/**
 * `aesearch search IMAGE_FILE...`: nearest neighbours of image files (and of the images in folders) in
 * code or pixel space. A file that fails prints its error and the others still run; the exit is 1 when
 * any failed.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import { createError, isAesearchError } from '../../errors.js';
import { openService } from '../../search/open-service.js';
import { type Hit, QUERY_SPACES, type QuerySpace, type SearchService } from '../../search/search-service.js';
import { prepare } from '../context.js';
import { type CommonFlags, commonOptions, intIn } from '../options.js';

interface SearchFlags extends CommonFlags {
  k: number;
  space: QuerySpace;
  json?: boolean;
}

/** The files a folder stands for: its images (by extension), sorted by name; sub-folders are not searched. */
const IMAGE_EXTENSION = /\.(png|jpe?g|gif|webp)$/i;

/** The files `paths` stand for, in order: a file as given, a folder as its images. */
async function expandPaths(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info?.isDirectory()) {
      files.push(path);
      continue;
    }
    const entries = await readdir(path, { withFileTypes: true });
    const images = entries.filter((e) => e.isFile() && IMAGE_EXTENSION.test(e.name)).map((e) => e.name);
    files.push(...images.sort().map((name) => join(path, name)));
  }
  return files;
}

type Result = Hit;

async function searchFile(service: SearchService, file: string, flags: SearchFlags): Promise<Result[]> {
  const bytes = await readFile(file).catch(() => {
    throw createError('FILE_NOT_FOUND', { file });
  });
  const response = await service.searchByImage(bytes, { k: flags.k, spaces: [flags.space] }, { what: file });
  return response.spaces[flags.space]?.results ?? [];
}

function printResults(file: string, results: Result[], flags: SearchFlags): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file, space: flags.space, k: flags.k, results })}\n`);
    return;
  }
  process.stdout.write(`${results.length} nearest by ${flags.space} distance to ${file}:\n`);
  for (const [rank, r] of results.entries()) {
    process.stdout.write(
      `${String(rank + 1).padStart(3)}. id ${String(r.id).padStart(6)}  ${(r.labelName ?? '-').padEnd(12)}  ${r.distance.toFixed(4)}  ${r.source}\n`,
    );
  }
}

function printError(file: string, err: { code: string; message: string }, flags: SearchFlags): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ file, error: { code: err.code, message: err.message } })}\n`);
  } else process.stderr.write(`aesearch: ${err.message}\n`);
}

/** Adds the search command to `program`. */
export function registerSearch(program: Command): void {
  const cmd = program
    .command('search')
    .description(
      'print the nearest neighbours of each IMAGE_FILE (any format sharp reads; a folder stands for its images), preprocessed as the indexer did',
    )
    .argument('<IMAGE_FILE...>', 'query images, or folders of them')
    .option('--k <n>', 'neighbours to return', intIn(1, 1000), 10)
    .addOption(
      new Option('--space <name>', 'code (autoencoder) or pixel distance')
        .choices(QUERY_SPACES)
        .default('code'),
    )
    .option(
      '--json',
      'print one JSON line per file: { file, space, k, results: [{ id, label, labelName, source, addedAt, distance }] } or { file, error: { code, message } }',
    );
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(async (paths: string[], flags: SearchFlags) => {
    const { config } = await prepare(flags);
    const files = await expandPaths(paths);
    // The pixel index (the bigger one by far) is opened only when it is searched.
    const service = await openService(config, { pixel: flags.space === 'pixel' });
    let failed = 0;
    try {
      for (const file of files) {
        try {
          printResults(file, await searchFile(service, file, flags), flags);
        } catch (err) {
          // One file alone fails as the command did before batches: with its own error.
          if (!isAesearchError(err) || files.length === 1) throw err;
          printError(file, err, flags);
          failed++;
        }
      }
    } finally {
      await service.close();
    }
    if (failed > 0) throw createError('SEARCHES_FAILED', { failed, total: files.length });
  });
}
