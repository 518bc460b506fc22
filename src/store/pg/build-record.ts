/**
 * The build a PostgreSQL store serves, as `aesearch index --store` publishes it into aesearch_meta: the
 * index manifest of the build (spaces, parameters, timings; servers report it as the embedded store's),
 * the items' reconstruction errors (float32, base64) and the map of the collection.
 */
import { z } from 'zod';
import { createError } from '../../errors.js';
import { type IndexManifest, indexManifestSchema } from '../manifest.js';
import { type CollectionMap, mapFileSchema } from '../map-layout.js';

/** What servers on the store serve besides the items and vectors. */
export interface PublishedBuild {
  readonly manifest: IndexManifest;
  /** The items' reconstruction errors, ascending. */
  readonly errors: Float32Array;
  readonly map: CollectionMap | null;
}

const recordSchema = z.object({
  manifest: indexManifestSchema,
  errors: z.string(),
  map: mapFileSchema.nullable(),
});

/** The JSON value stored for `build`. */
export function writeBuild(build: PublishedBuild): Record<string, unknown> {
  const { buffer, byteOffset, byteLength } = build.errors;
  return {
    manifest: build.manifest,
    errors: Buffer.from(buffer, byteOffset, byteLength).toString('base64'),
    map: build.map,
  };
}

/** The build stored as `value` (null when none was published); throws STORE_SCHEMA when it is not one. */
export function readBuild(value: unknown, where: string): PublishedBuild | null {
  if (value === undefined || value === null) return null;
  const parsed = recordSchema.safeParse(value);
  if (!parsed.success)
    throw createError('STORE_SCHEMA', {
      host: where,
      found: `a build record this aesearch cannot read (${parsed.error.issues[0]?.message ?? 'invalid'})`,
      expected: 'the current one',
    });
  const bytes = Buffer.from(parsed.data.errors, 'base64');
  const errors = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return { manifest: parsed.data.manifest, errors, map: parsed.data.map };
}
