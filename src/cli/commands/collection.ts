/**
 * Changing the collection without a rebuild: `aesearch add PATH...`, `aesearch remove ID...` and
 * `aesearch sync DIR [--watch]`. Each holds the index folder's lock, embeds with the index's model, and
 * prints a summary line, or one JSON object with --json. Running servers pick the changes up within a
 * second from the catalogue's change log.
 */
import { watch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ChangeReport, ImageToAdd } from '../../collection/add-images.js';
import { scanFolder } from '../../collection/scan.js';
import { fileToAdd, syncFolder } from '../../collection/sync.js';
import type { Config } from '../../config.js';
import { createError } from '../../errors.js';
import { openService } from '../../search/open-service.js';
import type { SearchService } from '../../search/search-service.js';
import { log, prepare } from '../context.js';
import { waitOption, withIndexLock } from '../index-lock.js';
import { type CommonFlags, commonOptions, intIn } from '../options.js';
import { type Bar, startBar } from '../progress.js';

interface ChangeFlags extends CommonFlags {
  json?: boolean;
  wait?: boolean;
}

/** Prints `report` as one JSON object or one summary line (plus a line per rejected file). */
function printReport(report: ChangeReport, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  for (const r of report.rejected) log(`rejected ${r.source}: ${r.error.message}`);
  process.stdout.write(
    `added ${report.added.length}, duplicates ${report.duplicates.length}, removed ${report.removed.length}, rejected ${report.rejected.length}\n`,
  );
}

/** Opens the index (code space only: nothing is searched) and runs `change` under the folder's lock. */
async function withCollection(
  config: Config,
  command: string,
  wait: boolean,
  change: (service: SearchService, progress: (done: number, total: number) => void) => Promise<ChangeReport>,
): Promise<ChangeReport> {
  // PostgreSQL takes its writers in turn itself (one transaction each); an index folder needs its lock.
  const locked = <T>(work: () => Promise<T>) =>
    config.store === null ? withIndexLock(config.indexDir, command, wait, work) : work();
  return locked(async () => {
    const service = await openService(config, { pixel: false });
    let bar: Bar | undefined;
    try {
      return await change(service, (done, total) => {
        bar ??= startBar('adding images', total);
        bar.update(done);
      });
    } finally {
      bar?.stop();
      await service.close();
    }
  });
}

/** The images under each path: a file as itself, a folder's images at any depth labelled by sub-folder. */
async function imagesUnder(paths: readonly string[], label: string | undefined): Promise<ImageToAdd[]> {
  const images: ImageToAdd[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (!info) throw createError('FILE_NOT_FOUND', { file: path });
    if (info.isDirectory()) {
      for (const file of await scanFolder(path)) images.push(fileToAdd(file, label ?? file.label));
    } else {
      const full = resolve(path);
      images.push({
        path: full,
        source: basename(full),
        root: dirname(full),
        labelName: label ?? null,
        mtimeMs: info.mtimeMs,
      });
    }
  }
  return images;
}

const JSON_HELP =
  'print one JSON object: { added: [{ id, source, label }], duplicates: [{ source, id }], removed: [ids], rejected: [{ source, error: { code, message } }] }';

function changeCommand(program: Command, name: string, description: string): Command {
  const cmd = program.command(name).description(description).option('--json', JSON_HELP);
  for (const o of [waitOption(), ...commonOptions()]) cmd.addOption(o);
  return cmd;
}

/** Adds add, remove and sync to `program`. */
export function registerCollection(program: Command): void {
  changeCommand(
    program,
    'add',
    'add image files or folders (recursive) to the collection, embedded with the index model, without a rebuild',
  )
    .argument('<PATH...>', 'image files or folders; a folder item is labelled by its first-level sub-folder')
    .option('--label <name>', 'label every added image with this name')
    .action(async (paths: string[], flags: ChangeFlags & { label?: string }) => {
      const { config } = await prepare(flags);
      const images = await imagesUnder(paths, flags.label);
      const report = await withCollection(config, 'add', flags.wait ?? false, (service, onProgress) =>
        service.addImages(images, { onProgress }),
      );
      printReport(report, flags.json ?? false);
    });

  changeCommand(program, 'remove', 'remove items from the collection by id, without a rebuild')
    .argument('<ID...>', 'item ids', (value: string, ids: number[] = []) => [
      ...ids,
      intIn(0, Number.MAX_SAFE_INTEGER)(value),
    ])
    .action(async (ids: number[], flags: ChangeFlags) => {
      const { config } = await prepare(flags);
      const report = await withCollection(config, 'remove', flags.wait ?? false, async (service) => ({
        added: [],
        duplicates: [],
        removed: await service.removeItems(ids),
        rejected: [],
      }));
      const unknown = ids.filter((id) => !report.removed.includes(id));
      printReport(report, flags.json ?? false);
      if (unknown.length > 0) throw createError('ITEM_NOT_FOUND', { id: unknown.join(', ') });
    });

  changeCommand(
    program,
    'sync',
    'make the items from DIR match it: add new files, remove vanished ones, re-embed changed ones (other items are left alone)',
  )
    .argument('<DIR>', 'the folder to follow')
    .option('--watch', 'keep following DIR, syncing after each change, until stopped (Ctrl-C)')
    .action(async (dir: string, flags: ChangeFlags & { watch?: boolean }) => {
      const { config } = await prepare(flags);
      const once = () =>
        withCollection(config, 'sync', flags.wait ?? false, (service, onProgress) =>
          syncFolder(service.source.writer, service.source.meta, dir, {
            embedder: service.embedder,
            onProgress,
          }),
        );
      printReport(await once(), flags.json ?? false);
      if (!flags.watch) return;
      await followFolder(dir, async () => printReport(await once(), flags.json ?? false));
    });
}

/** Calls `sync` after changes under `dir` settle (300 ms), one at a time, until SIGINT or SIGTERM. */
function followFolder(dir: string, sync: () => Promise<void>): Promise<void> {
  return new Promise((done, fail) => {
    let timer: NodeJS.Timeout | undefined;
    let running: Promise<void> = Promise.resolve();
    const watcher = watch(dir, { recursive: true }, () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        running = running.then(sync).catch(fail);
      }, 300);
    });
    log(`watching ${dir}; Ctrl-C stops`);
    const stop = () => {
      clearTimeout(timer);
      watcher.close();
      running.then(() => done(), fail);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
