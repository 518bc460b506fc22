/**
 * The build a PostgreSQL store serves, as `aesearch index --store` publishes it into aesearch_meta: the
 * index manifest of the build (spaces, parameters, timings; servers report it as the embedded store's),
 * the unusual-query profile (the bytes of unusual.f32, base64) and the map of the collection.
 */
import { z } from 'zod';
import { createError } from '../../errors.js';
import { type IndexManifest, indexManifestSchema } from '../manifest.js';
import { type CollectionMap, mapFileSchema } from '../map-layout.js';
import { decodeUnusualProfile, encodeUnusualProfile } from '../unusual-profile-file.js';
import { UNUSUAL_FEATURES, type UnusualProfile } from '../unusual-score.js';

/** What servers on the store serve besides the items and vectors. */
export interface PublishedBuild {
  readonly manifest: IndexManifest;
  /** The collection's unusual-query profile, or null when the build has none. */
  readonly unusual: UnusualProfile | null;
  readonly map: CollectionMap | null;
}

const recordSchema = z.object({
  manifest: indexManifestSchema,
  /** Absent in builds published before the profile (their `errors` are ignored). */
  unusual: z
    .object({ features: z.array(z.string()), count: z.number().int().nonnegative(), data: z.string() })
    .nullable()
    .optional(),
  map: mapFileSchema.nullable(),
});

/** The JSON value stored for `build`. */
export function writeBuild(build: PublishedBuild): Record<string, unknown> {
  const { unusual } = build;
  return {
    manifest: build.manifest,
    unusual: unusual && {
      features: [...UNUSUAL_FEATURES],
      count: unusual.scores.length,
      data: encodeUnusualProfile(unusual).toString('base64'),
    },
    map: build.map,
  };
}

function schemaError(where: string, reason: string) {
  return createError('STORE_SCHEMA', {
    host: where,
    found: `a build record this aesearch cannot read (${reason})`,
    expected: 'the current one',
  });
}

/**
 * The build stored as `value` (null when none was published); throws STORE_SCHEMA when it is not one.
 * A profile of other features than this version's is left out (null), as an older index's would be.
 */
export function readBuild(value: unknown, where: string): PublishedBuild | null {
  if (value === undefined || value === null) return null;
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success) throw schemaError(where, parsed.error.issues[0]?.message ?? 'invalid');
  const stored = parsed.data.unusual;
  let unusual: UnusualProfile | null = null;
  if (stored && stored.features.join() === UNUSUAL_FEATURES.join()) {
    const decoded = decodeUnusualProfile(Buffer.from(stored.data, 'base64'), stored.count);
    if (typeof decoded === 'string') throw schemaError(where, `its unusual-query profile: ${decoded}`);
    unusual = decoded;
  }
  return { manifest: parsed.data.manifest, unusual, map: parsed.data.map };
}
