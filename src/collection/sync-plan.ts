/**
 * What `aesearch sync DIR` has to do, from what the folder holds now and what the catalogue holds from
 * it: add new files, remove items whose file vanished, and look again at files whose size or time
 * changed (re-embedded when their bytes differ). Items from elsewhere are never touched. Pure.
 */
import type { ItemRecord } from './catalogue.js';
import type { ScannedFile } from './scan.js';

/** The work a sync does. */
export interface SyncPlan {
  /** Files with no item yet. */
  readonly add: ScannedFile[];
  /** Items whose file is gone. */
  readonly remove: ItemRecord[];
  /** Files whose size or modification time differ from their item's: hash them to see if they changed. */
  readonly check: { readonly file: ScannedFile; readonly item: ItemRecord }[];
}

/** Plans a sync of `files` (one folder's scan) against `items` (the catalogue's items from that folder). */
export function planSync(files: readonly ScannedFile[], items: readonly ItemRecord[]): SyncPlan {
  const bySource = new Map(items.map((item) => [item.source, item]));
  const seen = new Set<string>();
  const add: ScannedFile[] = [];
  const check: SyncPlan['check'] = [];
  for (const file of files) {
    seen.add(file.source);
    const item = bySource.get(file.source);
    if (!item) add.push(file);
    else if (item.bytes !== file.bytes || item.mtimeMs !== Math.round(file.mtimeMs))
      check.push({ file, item });
  }
  const remove = items.filter((item) => !seen.has(item.source));
  return { add, remove, check };
}
