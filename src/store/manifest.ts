/**
 * The index manifest, `index/manifest.json`: which model and dataset built the vector indexes in
 * `index/ann-<id>/`, with what parameters. Renamed into place last, so it always names a whole index.
 * Its schema is the one definition of its shape: the type is inferred from it.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { createError } from '../errors.js';
import { archConfigField, type ModelManifest } from '../model/store.js';
import { readJsonFile } from '../util/read-json.js';
import { MAP_METHODS } from './map-layout.js';
import { type HnswParams, METRICS } from './vector-index.js';

/** File name of the index manifest inside the index folder. */
export const INDEX_MANIFEST = 'manifest.json';

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/** A file or folder name inside the index folder: no path separators, no `..`. */
const plainName = z.string().regex(/^(?!\.\.)[\w.-]+$/, { error: 'a plain file name' });

const hnswParams = z
  .object({ m: positive, efConstruction: positive, efSearch: positive, seed: z.number().int() })
  .readonly() satisfies z.ZodType<HnswParams>;

/** One vector index (code or pixel space). */
const spaceManifest = z
  .object({
    /** File inside the ann folder. */
    file: plainName,
    dims: positive,
    metric: z.enum(METRICS),
    count,
    params: hnswParams,
    buildSeconds: z.number(),
    bytes: count,
    /** sha256 of the file, checked before loading. */
    sha256: z.string(),
  })
  .readonly();
export type SpaceManifest = z.infer<typeof spaceManifest>;

/** A file of the ann folder measured at build time (see collection-profile.ts). */
const profileFile = { file: plainName, count, sha256: z.string() };

/** The schema of index/manifest.json. */
export const indexManifestSchema = z
  .object({
    version: z.literal(3),
    /** Folder (relative to the index folder) with the vector files. */
    dir: plainName,
    /** The collection's catalogue (SQLite) file inside the index folder. */
    catalogue: plainName,
    /** The catalogue's last change when the build read it: later changes are replayed on open. */
    changesSeq: count,
    model: z
      .object({ weightsHash: z.string(), dir: z.string(), arch: archConfigField, codeSize: positive })
      .readonly(),
    /** The collection as built: its name, where it came from, and the items indexed. */
    collection: z.object({ name: z.string(), origin: z.string(), count }).readonly(),
    preprocessing: z.unknown(),
    code: spaceManifest,
    pixel: spaceManifest.nullable(),
    /**
     * The unusual-query profile: a sample of the items' features and scores (unusual-score.ts), with the
     * features' names. Absent in indexes built before it was measured (their `errors` sample is ignored).
     */
    unusual: z
      .object({ ...profileFile, features: z.array(z.string()).readonly() })
      .readonly()
      .optional(),
    /** The map of the collection: a sample of the codes laid out in 2-D (absent in older indexes). */
    map: z
      .object({ ...profileFile, method: z.enum(MAP_METHODS), seconds: z.number() })
      .readonly()
      .optional(),
    backend: z.string(),
    embedSeconds: z.number(),
    totalSeconds: z.number(),
    builtAt: z.string(),
  })
  .readonly();

/** Describes a built index. */
export type IndexManifest = z.infer<typeof indexManifestSchema>;

/**
 * Reads index/manifest.json; throws NO_INDEX when absent, INDEX_CORRUPT naming the file and the field
 * when it is not a manifest.
 */
export function readIndexManifest(indexDir: string): Promise<IndexManifest> {
  const file = join(indexDir, INDEX_MANIFEST);
  return readJsonFile(file, indexManifestSchema, {
    missing: () => createError('NO_INDEX', { where: file }),
    corrupt: (reason) => createError('INDEX_CORRUPT', { file, reason }),
  });
}

/**
 * Throws INDEX_MISMATCH, naming `file` (the manifest's path), when the index was built by another model
 * (weights hash or code size) than the one given.
 */
export function assertIndexMatches(index: IndexManifest, model: ModelManifest, file: string): void {
  if (index.model.weightsHash !== model.weightsHash) {
    throw createError('INDEX_MISMATCH', {
      file,
      what: 'model',
      index: index.model.weightsHash,
      current: model.weightsHash,
    });
  }
  if (index.code.dims !== model.codeSize || index.model.codeSize !== model.codeSize) {
    throw createError('INDEX_MISMATCH', {
      file,
      what: 'code size',
      index: index.code.dims,
      current: model.codeSize,
    });
  }
}
