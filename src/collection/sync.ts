/**
 * `aesearch sync DIR`: makes the items whose source lies under DIR match the folder. New files are added,
 * items whose file vanished are removed, and files whose size or time changed are hashed: when their
 * bytes differ, the old item is removed and the new bytes added. Items from elsewhere are never touched,
 * and a second run with no change to the folder changes nothing.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { InputFormat } from '../image/preprocess.js';
import { type AddOptions, addImages, type ChangeReport, type ImageToAdd } from './add-images.js';
import type { CollectionWriter } from './collection-writer.js';
import { sha256Hex } from './ingest.js';
import { type ScannedFile, scanFolder } from './scan.js';
import { planSync } from './sync-plan.js';

/** What to add for a scanned file, labelled by its first-level folder. */
export function fileToAdd(file: ScannedFile, label: string | null = file.label): ImageToAdd {
  return { path: file.path, source: file.source, root: file.root, labelName: label, mtimeMs: file.mtimeMs };
}

/** Syncs the items from folder `dir` with what it holds now; see the module comment. */
export async function syncFolder(
  catalogue: CollectionWriter,
  meta: InputFormat,
  dir: string,
  options: AddOptions = {},
): Promise<ChangeReport> {
  const files = await scanFolder(dir);
  const root = resolve(dir);
  const plan = planSync(files, await catalogue.itemsUnder(root));
  const changed: ScannedFile[] = [];
  const stale: number[] = plan.remove.map((item) => item.id);
  for (const { file, item } of plan.check) {
    const bytes = await readFile(file.path).catch(() => undefined);
    if (bytes && sha256Hex(bytes) === item.sha256) continue;
    stale.push(item.id);
    changed.push(file);
  }
  const removed = await catalogue.remove(stale);
  const report = await addImages(
    catalogue,
    meta,
    [...plan.add, ...changed].map((f) => fileToAdd(f)),
    options,
  );
  return { ...report, removed };
}
