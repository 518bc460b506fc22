/** A folder of JPEG/PNG/WebP images as a dataset; first-level sub-folder names are labels. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, sep } from 'node:path';
import { createError, isAesearchError } from '../errors.js';
import { decodeImage, type InputFormat, imageBytes } from '../image/preprocess.js';
import { mapWithConcurrency } from '../util/pool.js';
import { fingerprint, head, sampleQueries } from './split.js';
import type { Dataset } from './types.js';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);
const DECODE_CONCURRENCY = 4;

/** Callbacks for long folder reads. */
export interface FolderReadEvents {
  onProgress?: (done: number, total: number) => void;
  /** Called for each file that cannot be decoded; the file is skipped. */
  onSkip?: (file: string, reason: string) => void;
}

async function listImages(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

function labelOf(root: string, file: string): string | null {
  const parts = relative(root, file).split(sep);
  return parts.length > 1 ? (parts[0] ?? null) : null;
}

/**
 * A folder's classes from each image's sub-folder name (null for an image at the top): the names sorted,
 * and each image's index into them; null unless every image has one.
 */
export function folderClasses(
  labelNames: readonly (string | null)[],
): { names: string[]; labels: Int32Array } | null {
  if (labelNames.length === 0 || labelNames.some((l) => l === null)) return null;
  const names = [...new Set(labelNames as string[])].sort();
  return { names, labels: Int32Array.from(labelNames, (l) => names.indexOf(l ?? '')) };
}

/**
 * Reads every image under `root`, decoded and resized by sharp to `format`. Unreadable files are
 * reported through `onSkip` and skipped. Every image is in the database; a seeded tenth of them are also
 * the eval's queries, which know their database ids. Throws DATASET_NOT_FOUND when `root` is not a
 * folder, EMPTY_DATASET when no image decodes.
 */
export async function loadFolderDataset(
  root: string,
  format: InputFormat,
  limit?: number,
  events: FolderReadEvents = {},
): Promise<Dataset> {
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw createError('DATASET_NOT_FOUND', { name: root, looked: root });
  const files = await listImages(root);
  const area = imageBytes(format);
  let done = 0;
  const decoded = await mapWithConcurrency(files, DECODE_CONCURRENCY, async (file) => {
    try {
      return await decodeImage(await readFile(file), format, { what: file });
    } catch (err) {
      events.onSkip?.(file, isAesearchError(err) ? err.message : String(err));
      return undefined;
    } finally {
      events.onProgress?.(++done, files.length);
    }
  });
  const kept = files
    .map((f, i) => ({ f, px: decoded[i] }))
    .filter((e): e is { f: string; px: Uint8Array } => !!e.px);
  if (kept.length === 0) throw createError('EMPTY_DATASET', { where: root });
  const classes = folderClasses(kept.map((e) => labelOf(root, e.f)));
  const pixels = new Uint8Array(kept.length * area);
  kept.forEach((e, i) => {
    pixels.set(e.px, i * area);
  });
  const labels = classes?.labels ?? null;
  const all = { count: kept.length, pixels, labels, sources: kept.map((e) => relative(root, e.f)) };
  const database = head(all, limit, area);
  const queries = sampleQueries(database, area);
  return {
    name: root,
    kind: 'folder',
    origin: `${root} (${kept.length} images, ${files.length - kept.length} skipped)`,
    split: `every image in the database (${database.count}); a seeded ${queries.count} of them are the eval's queries, each kept out of its own neighbours`,
    format,
    classNames: classes?.names ?? null,
    database,
    queries,
    fingerprint: fingerprint(database, format),
  };
}
