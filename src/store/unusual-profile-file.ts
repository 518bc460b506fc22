/**
 * The unusual-query profile (unusual-score.ts) as bytes: little-endian float32, each feature's sorted
 * sample of `count` values in UNUSUAL_FEATURES order, then the `count` sorted scores. Kept in the ann
 * folder as `unusual.f32` (its sha256 in the index manifest) and, base64, in a PostgreSQL store's build.
 */
import { readFile } from 'node:fs/promises';
import { createError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-fs.js';
import { UNUSUAL_FEATURES, type UnusualProfile } from './unusual-score.js';

/** The profile's bytes. */
export function encodeUnusualProfile(profile: UnusualProfile): Buffer {
  const blocks = [...profile.features, profile.scores];
  const count = profile.scores.length;
  const bytes = Buffer.alloc(blocks.length * count * 4);
  blocks.forEach((block, b) => {
    block.forEach((v, i) => {
      bytes.writeFloatLE(v, (b * count + i) * 4);
    });
  });
  return bytes;
}

/**
 * The profile in `bytes`, written by encodeUnusualProfile for `count` items; a sentence saying why not
 * when they are not that (wrong length, values not numbers in ascending order).
 */
export function decodeUnusualProfile(bytes: Uint8Array, count: number): UnusualProfile | string {
  const blocks = UNUSUAL_FEATURES.length + 1;
  if (bytes.length !== blocks * count * 4)
    return `it holds ${bytes.length} bytes but ${count} items' ${UNUSUAL_FEATURES.length} features and scores take ${blocks * count * 4}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const arrays = Array.from({ length: blocks }, (_, b) =>
    Float32Array.from({ length: count }, (_, i) => view.getFloat32((b * count + i) * 4, true)),
  );
  if (arrays.some((a) => a.some((v, i) => Number.isNaN(v) || (i > 0 && v < (a[i - 1] ?? 0)))))
    return 'its values are not numbers in ascending order';
  return { features: arrays.slice(0, -1), scores: arrays.at(-1) ?? new Float32Array(0) };
}

/** Writes the profile to `file`. */
export async function writeUnusualProfile(file: string, profile: UnusualProfile): Promise<void> {
  await writeFileAtomic(file, encodeUnusualProfile(profile));
}

/** Reads a profile file of `count` items; throws INDEX_CORRUPT naming it when it is not one. */
export async function readUnusualProfile(file: string, count: number): Promise<UnusualProfile> {
  const decoded = decodeUnusualProfile(await readFile(file), count);
  if (typeof decoded === 'string') throw createError('INDEX_CORRUPT', { file, reason: decoded });
  return decoded;
}
