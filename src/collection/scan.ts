/**
 * Finding the images under a folder for `add` and `sync`: JPEG, PNG, WebP and GIF files at any depth,
 * each with its path relative to the folder (its `source`), size, modification time and the label its
 * first-level sub-folder gives.
 */
import { readdir, stat } from 'node:fs/promises';
import { extname, join, relative, resolve, sep } from 'node:path';
import { createError } from '../errors.js';

/** File extensions taken as images (anything else under the folder is left alone). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif']);

/** One image file found under a folder. */
export interface ScannedFile {
  /** Absolute path. */
  readonly path: string;
  /** The folder it was found under (absolute): what `sync` manages. */
  readonly root: string;
  /** Path relative to `root`, with forward slashes. */
  readonly source: string;
  readonly bytes: number;
  readonly mtimeMs: number;
  /** The first-level sub-folder's name, or null for files directly in `root`. */
  readonly label: string | null;
}

/** The label of `source` (relative, forward slashes): its first-level folder, or null. */
export function folderLabel(source: string): string | null {
  const slash = source.indexOf('/');
  return slash > 0 ? source.slice(0, slash) : null;
}

/** Every image file under `dir`, sorted by source; throws DATASET_NOT_FOUND when `dir` is not a folder. */
export async function scanFolder(dir: string): Promise<ScannedFile[]> {
  const root = resolve(dir);
  const info = await stat(root).catch(() => undefined);
  if (!info?.isDirectory()) throw createError('DATASET_NOT_FOUND', { name: dir, looked: root });
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const files = entries.filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()));
  const scanned = await Promise.all(
    files.map(async (e) => {
      const path = join(e.parentPath, e.name);
      const s = await stat(path);
      const source = relative(root, path).split(sep).join('/');
      return { path, root, source, bytes: s.size, mtimeMs: s.mtimeMs, label: folderLabel(source) };
    }),
  );
  return scanned.sort((a, b) => (a.source < b.source ? -1 : a.source > b.source ? 1 : 0));
}
