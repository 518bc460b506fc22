/**
 * The index manifest, `index/manifest.json`: which model and dataset built the vector indexes in
 * `index/ann-<id>/`, with what parameters. Renamed into place last, so it always names a whole index.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import type { ArchConfig } from '../model/architectures/types.js';
import type { ModelManifest } from '../model/store.js';
import type { HnswParams, SpaceName } from './vector-index.js';

/** File name of the index manifest inside the index folder. */
export const INDEX_MANIFEST = 'manifest.json';

/** One vector index (code or pixel space). */
export interface SpaceManifest {
  /** File inside the ann folder. */
  readonly file: string;
  readonly dims: number;
  readonly space: SpaceName;
  readonly count: number;
  readonly params: HnswParams;
  readonly buildSeconds: number;
  readonly bytes: number;
  /** sha256 of the file, checked before loading. */
  readonly sha256: string;
}

/** Describes a built index. */
export interface IndexManifest {
  readonly version: 1;
  /** Folder (relative to the index folder) with the vector files. */
  readonly dir: string;
  readonly model: {
    readonly weightsHash: string;
    readonly dir: string;
    readonly arch: ArchConfig;
    readonly codeSize: number;
  };
  readonly dataset: {
    readonly name: string;
    readonly fingerprint: string;
    readonly count: number;
    readonly origin: string;
    readonly split: string;
  };
  readonly preprocessing: unknown;
  readonly code: SpaceManifest;
  readonly pixel: SpaceManifest | null;
  /** Raw codes of the database, count x codeSize float32 little-endian, inside the ann folder. */
  readonly codesFile: string;
  readonly codesSha256: string;
  readonly backend: string;
  readonly embedSeconds: number;
  readonly totalSeconds: number;
  readonly builtAt: string;
}

/** Reads index/manifest.json; throws NO_INDEX when absent, INDEX_CORRUPT when unreadable. */
export async function readIndexManifest(indexDir: string): Promise<IndexManifest> {
  const file = join(indexDir, INDEX_MANIFEST);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw createError('NO_INDEX', file);
  }
  try {
    return JSON.parse(text) as IndexManifest;
  } catch (err) {
    throw createError('INDEX_CORRUPT', file, (err as Error).message);
  }
}

/**
 * Throws INDEX_MISMATCH when the index was built by another model or for another dataset than
 * the ones given.
 */
export function assertIndexMatches(index: IndexManifest, model: ModelManifest, dataset: Dataset): void {
  if (index.model.weightsHash !== model.weightsHash) {
    throw createError('INDEX_MISMATCH', 'model', index.model.weightsHash, model.weightsHash);
  }
  if (index.dataset.fingerprint !== dataset.fingerprint) {
    throw createError(
      'INDEX_MISMATCH',
      'dataset',
      `${index.dataset.name} (${index.dataset.count} images, ${index.dataset.fingerprint})`,
      `${dataset.name} (${dataset.database.count} images, ${dataset.fingerprint})`,
    );
  }
}
