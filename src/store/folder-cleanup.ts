/**
 * Removing the index folder's superseded `ann-*` and `model-*` folders and `collection-*.db` catalogues. What to keep is read from the
 * manifests on disk right before deleting, never taken from the caller: another run may have renamed
 * its manifest into place since the caller wrote its own, and the folder that manifest names must stay.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MODEL_MANIFEST } from '../model/store.js';
import { INDEX_MANIFEST } from './manifest.js';

/** The value at a dotted `path` ("model.dir") of a parsed JSON value; undefined when absent. */
function field(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown> | null)?.[key], value);
}

/** Why the folders a manifest names cannot be known. */
class UnreadableManifest extends Error {}

/** The string fields at `paths` of the JSON file `file`; none when it does not exist. */
async function namedIn(file: string, paths: readonly string[]): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new UnreadableManifest(file);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new UnreadableManifest(file);
  }
  return paths.map((path) => field(parsed, path)).filter((v): v is string => typeof v === 'string');
}

/**
 * The folders the manifests on disk name: the index manifest's `dir` and `model.dir`, the model
 * manifest's `dir`. Undefined when a manifest exists but cannot be read: then nothing is safe to remove.
 */
async function namedFolders(indexDir: string): Promise<Set<string> | undefined> {
  try {
    const index = await namedIn(join(indexDir, INDEX_MANIFEST), ['dir', 'model.dir', 'catalogue']);
    const model = await namedIn(join(indexDir, MODEL_MANIFEST), ['dir']);
    return new Set([...index, ...model]);
  } catch (err) {
    if (err instanceof UnreadableManifest) return undefined;
    throw err;
  }
}

/** SQLite's companion files (`x.db-wal`, `x.db-shm`, `x.db-journal`) belong to `x.db`. */
function owner(name: string): string {
  return name.replace(/-(wal|shm|journal)$/, '');
}

/**
 * Removes the folders (and catalogue files, with their SQLite companions) of `indexDir` whose names `matches` ("ann-*", "model-*", one build's own folder),
 * except those index/manifest.json and index/model.json name as read now. Removes nothing when a
 * manifest is there but unreadable, or when `indexDir` does not exist.
 */
export async function removeUnnamed(indexDir: string, matches: (name: string) => boolean): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(indexDir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const candidates = entries.filter((e) => matches(owner(e.name)));
  if (candidates.length === 0) return;
  const named = await namedFolders(indexDir);
  if (!named) return;
  for (const entry of candidates) {
    if (!named.has(owner(entry.name))) await rm(join(indexDir, entry.name), { recursive: true, force: true });
  }
}
