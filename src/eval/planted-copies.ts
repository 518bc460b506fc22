/**
 * Planted copies, the near-duplicate test of issue 14: edited copies of a seeded sample of a collection's
 * items (JPEG quality 50, a resize, a crop of at most 5% of each side, brightness +-10%, one edit per
 * copy in turn, made with sharp from the items' model inputs) are added to the collection, and the
 * near-duplicate groups are scored by pairs: precision (planted pairs among the pairs the groups imply)
 * and recall, overall and per edit. Used by test/http/duplicates.test.ts and `npm run bench:duplicates`.
 */
import sharp from 'sharp';
import type { ImageToAdd } from '../collection/add-images.js';
import { encodePng } from '../image/png.js';
import type { SearchService } from '../search/search-service.js';
import { createRng } from '../util/rng.js';

/** The planted edits, in the order copies take them. */
export const PLANTED_EDITS = ['jpeg', 'resize', 'crop', 'brightness'] as const;
export type PlantedEdit = (typeof PLANTED_EDITS)[number];

/** A seeded uniform stream in [0, 1) (mulberry32). */
export const seededRandom = createRng;

/** `png` (an image file) edited by `edit`, with amounts drawn from `rng`. */
export async function plantedCopy(png: Uint8Array, edit: PlantedEdit, rng: () => number): Promise<Buffer> {
  const image = sharp(png);
  const { width = 1, height = 1 } = await image.metadata();
  switch (edit) {
    case 'jpeg':
      return image.jpeg({ quality: 50 }).toBuffer();
    case 'resize': {
      // Half to twice the size: a thumbnail or an upscaled re-post.
      const factor = 0.5 + 1.5 * rng();
      const side = (s: number) => Math.max(1, Math.round(s * factor));
      return image.resize(side(width), side(height), { fit: 'fill' }).png().toBuffer();
    }
    case 'crop': {
      // At least one pixel goes, so a crop is never the unedited image.
      const keep = (s: number) => Math.max(1, Math.min(s - 1, Math.round(s * (1 - 0.05 * rng()))));
      const w = keep(width);
      const h = keep(height);
      const left = Math.floor(rng() * (width - w + 1));
      const top = Math.floor(rng() * (height - h + 1));
      return image.extract({ left, top, width: w, height: h }).png().toBuffer();
    }
    case 'brightness':
      return image
        .modulate({ brightness: 0.9 + 0.2 * rng() })
        .png()
        .toBuffer();
  }
}

/** Precision and recall of grouped pairs against planted (original, copy) pairs. */
export interface PairScore {
  readonly precision: number;
  readonly recall: number;
  /** Pairs the groups imply (every two items of a group). */
  readonly found: number;
  readonly planted: number;
}

const pairKey = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;

/** Every pair of items that share a group, as "a:b" keys (a < b). */
export function groupedPairs(groups: readonly (readonly number[])[]): Set<string> {
  const found = new Set<string>();
  for (const ids of groups)
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) found.add(pairKey(ids[i] ?? 0, ids[j] ?? 0));
  return found;
}

/** Scores groups (lists of ids) against `planted` pairs: a found pair is any two items of one group. */
export function scorePairs(
  groups: readonly (readonly number[])[],
  planted: readonly (readonly [number, number])[],
): PairScore {
  const found = groupedPairs(groups);
  const hits = planted.filter(([a, b]) => found.has(pairKey(a, b))).length;
  return {
    precision: found.size === 0 ? 1 : hits / found.size,
    recall: planted.length === 0 ? 1 : hits / planted.length,
    found: found.size,
    planted: planted.length,
  };
}

/** One planted copy: the item it copies, the copy's id and its edit. */
export interface PlantedPair {
  readonly original: number;
  readonly copy: number;
  readonly edit: PlantedEdit;
}

/** Items listed per page while collecting the live ids. */
const PAGE = 10_000;

/** The ids of the collection's live items, ascending. */
async function liveIds(service: SearchService): Promise<number[]> {
  const ids: number[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await service.source.items({ offset, limit: PAGE });
    ids.push(...page.items.map((item) => item.id));
    if (page.items.length < PAGE) return ids;
  }
}

/**
 * Adds an edited copy of each of `count` items of `service`'s collection (a seeded sample of the live
 * items, at most all of them), the edits in turn; returns the pairs of the copies the collection took
 * (it refuses bytes it already holds, which these edits do not make).
 */
export async function plantCopies(
  service: SearchService,
  count: number,
  seed: number,
): Promise<PlantedPair[]> {
  const rng = seededRandom(seed);
  const live = await liveIds(service);
  const originals: number[] = [];
  for (let n = Math.min(count, live.length); originals.length < n; ) {
    const at = Math.floor(rng() * live.length);
    originals.push(live[at] ?? 0);
    live[at] = live[live.length - 1] ?? 0;
    live.pop();
  }
  const { side, channels } = service.source.meta;
  const images: ImageToAdd[] = [];
  const edits: PlantedEdit[] = [];
  for (const [n, id] of originals.entries()) {
    const edit = PLANTED_EDITS[n % PLANTED_EDITS.length] ?? 'jpeg';
    edits.push(edit);
    const png = encodePng(await service.itemPixels(id), side, side, channels === 3 ? 3 : 1);
    const bytes = await plantedCopy(png, edit, rng);
    images.push({
      bytes,
      source: `planted-${n}-of-${id}-${edit}`,
      root: null,
      labelName: null,
      mtimeMs: null,
    });
  }
  const report = await service.addImages(images);
  const added = new Map(report.added.map((a) => [a.source, a.id]));
  return originals.flatMap((original, n) => {
    const copy = added.get(images[n]?.source ?? '');
    return copy === undefined ? [] : [{ original, copy, edit: edits[n] ?? 'jpeg' }];
  });
}
