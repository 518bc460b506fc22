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
import type { HnswParams, Metric } from './vector-index.js';

/** File name of the index manifest inside the index folder. */
export const INDEX_MANIFEST = 'manifest.json';

/** One vector index (code or pixel space). */
export interface SpaceManifest {
  /** File inside the ann folder. */
  readonly file: string;
  readonly dims: number;
  readonly metric: Metric;
  readonly count: number;
  readonly params: HnswParams;
  readonly buildSeconds: number;
  readonly bytes: number;
  /** sha256 of the file, checked before loading. */
  readonly sha256: string;
}

/** Describes a built index. */
export interface IndexManifest {
  readonly version: 2;
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
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw createError('INDEX_CORRUPT', file, (err as Error).message);
  }
  const problem = manifestProblem(parsed);
  if (problem) throw createError('INDEX_CORRUPT', file, problem);
  return parsed as IndexManifest;
}

/** Fields the loader relies on, with their types; file names must stay inside the index folder. */
const REQUIRED_FIELDS: readonly [string, 'string' | 'number'][] = [
  ['dir', 'string'],
  ['model.weightsHash', 'string'],
  ['model.codeSize', 'number'],
  ['dataset.fingerprint', 'string'],
  ['dataset.count', 'number'],
  ['code.file', 'string'],
  ['code.dims', 'number'],
  ['code.sha256', 'string'],
  ['codesFile', 'string'],
  ['codesSha256', 'string'],
  ['builtAt', 'string'],
];

const PLAIN_NAME = /^[\w.-]+$/;

/** The value at a dotted `path` ("model.dir") of a parsed JSON value; undefined when absent. */
export function field(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, key) => (o as Record<string, unknown> | null)?.[key], value);
}

/** Why a parsed manifest cannot be used, or undefined when it can. */
function manifestProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'it is not a JSON object';
  for (const [path, type] of REQUIRED_FIELDS) {
    if (typeof field(value, path) !== type) return `its field "${path}" is missing or not a ${type}`;
  }
  for (const path of ['dir', 'code.file', 'codesFile', 'pixel.file']) {
    const name = field(value, path);
    if (name !== undefined && (typeof name !== 'string' || !PLAIN_NAME.test(name) || name.startsWith('..')))
      return `its field "${path}" is not a plain file name`;
  }
  return undefined;
}

/**
 * Throws INDEX_MISMATCH, naming `file` (the manifest's path), when the index was built by another model
 * (weights hash or code size) or for another dataset than the ones given.
 */
export function assertIndexMatches(
  index: IndexManifest,
  model: ModelManifest,
  dataset: Dataset,
  file: string,
): void {
  if (index.model.weightsHash !== model.weightsHash) {
    throw createError('INDEX_MISMATCH', file, 'model', index.model.weightsHash, model.weightsHash);
  }
  if (index.code.dims !== model.codeSize || index.model.codeSize !== model.codeSize) {
    throw createError('INDEX_MISMATCH', file, 'code size', index.code.dims, model.codeSize);
  }
  if (index.dataset.fingerprint !== dataset.fingerprint) {
    throw createError(
      'INDEX_MISMATCH',
      file,
      'dataset',
      `${index.dataset.name} (${index.dataset.count} images, ${index.dataset.fingerprint})`,
      `${dataset.name} (${dataset.database.count} images, ${dataset.fingerprint})`,
    );
  }
}
