/**
 * Opens the files an index manifest names, checking each against the sha256 recorded at build time
 * before hnswlib reads it: a damaged file is refused with a message naming it, never half-loaded.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createError } from '../errors.js';
import { sha256File } from '../util/file-hash.js';
import type { IndexManifest, SpaceManifest } from './manifest.js';
import { VectorIndex } from './vector-index.js';

async function verify(file: string, expected: string | undefined): Promise<void> {
  if (typeof expected !== 'string')
    throw createError(
      'INDEX_CORRUPT',
      file,
      'the manifest records no sha256 for it (an index from an older aesearch)',
    );
  let actual: string;
  try {
    actual = await sha256File(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw createError(
      'INDEX_CORRUPT',
      file,
      code === 'ENOENT' ? 'the file is missing' : (code ?? 'unreadable'),
    );
  }
  if (actual !== expected)
    throw createError(
      'INDEX_CORRUPT',
      file,
      `its sha256 ${actual.slice(0, 12)}... differs from the manifest's ${expected.slice(0, 12)}...`,
    );
}

/** Loads one space's HNSW file from the index's ann folder; throws INDEX_CORRUPT. */
export async function loadSpace(
  indexDir: string,
  manifest: IndexManifest,
  space: SpaceManifest,
): Promise<VectorIndex> {
  const file = join(indexDir, manifest.dir, space.file);
  await verify(file, space.sha256);
  return VectorIndex.open(file, space.dims, space.metric, space.params.efSearch, space.count);
}

/** Loads the database's raw codes (count x dims float32); throws INDEX_CORRUPT. */
export async function loadCodes(indexDir: string, manifest: IndexManifest): Promise<Float32Array> {
  const file = join(indexDir, manifest.dir, manifest.codesFile);
  await verify(file, manifest.codesSha256);
  const buf = await readFile(file);
  const expected = manifest.code.count * manifest.code.dims * 4;
  if (buf.byteLength !== expected)
    throw createError('INDEX_CORRUPT', file, `it holds ${buf.byteLength} bytes, expected ${expected}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}
