/**
 * Planted copies for the near-duplicate tests: the edits of issue 14 (JPEG quality 50, a resize, a crop
 * of at most 5% of each side, brightness +-10%), one per copy in turn, made with sharp from a seeded
 * random stream, and the precision and recall of a grouping against the planted pairs.
 */
import sharp from 'sharp';

/** The planted edits, in the order copies take them. */
export const PLANTED_EDITS = ['jpeg', 'resize', 'crop', 'brightness'] as const;
export type PlantedEdit = (typeof PLANTED_EDITS)[number];

/** A seeded uniform stream in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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

/** Scores groups (lists of ids) against `planted` pairs: a found pair is any two items of one group. */
export function scorePairs(
  groups: readonly (readonly number[])[],
  planted: readonly [number, number][],
): PairScore {
  const key = (a: number, b: number) => `${Math.min(a, b)}:${Math.max(a, b)}`;
  const found = new Set<string>();
  for (const ids of groups)
    for (let i = 0; i < ids.length; i++)
      for (let j = i + 1; j < ids.length; j++) found.add(key(ids[i] ?? 0, ids[j] ?? 0));
  const hits = planted.filter(([a, b]) => found.has(key(a, b))).length;
  return {
    precision: found.size === 0 ? 1 : hits / found.size,
    recall: planted.length === 0 ? 1 : hits / planted.length,
    found: found.size,
    planted: planted.length,
  };
}
