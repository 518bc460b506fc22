/**
 * The perturbed queries, cached on disk: re-encoding 10,000 queries as 224 px JPEGs and decoding them
 * back takes tens of seconds and depends only on the query pixels and the perturbation protocol.
 * One file per key holds the perturbations' pixels one after another, in PERTURBATIONS order.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ImageSet } from '../dataset/types.js';
import type { InputFormat } from '../image/preprocess.js';
import { writeFileAtomic } from '../util/atomic-fs.js';
import { PERTURBATION_PROTOCOL, PERTURBATIONS, perturbQueries } from './perturb.js';
import type { QuerySets, StageReporter } from './space-eval.js';

/** Bump when a change alters perturbed pixels, so old cache files are ignored. */
const CACHE_VERSION = 1;

function cacheKey(queries: ImageSet, format: InputFormat): string {
  // Grayscale keys are as they were before colour, so existing cache files still match.
  const shape =
    format.channels === 1 ? { side: format.side } : { side: format.side, channels: format.channels };
  return createHash('sha256')
    .update(JSON.stringify({ version: CACHE_VERSION, ...shape, protocol: PERTURBATION_PROTOCOL }))
    .update(queries.pixels)
    .digest('hex')
    .slice(0, 16);
}

function fromCache(queries: ImageSet, bytes: Uint8Array): QuerySets | null {
  const size = queries.pixels.length;
  if (bytes.length !== size * PERTURBATIONS.length) return null;
  const sets: Partial<Record<keyof QuerySets, ImageSet>> = { clean: queries };
  PERTURBATIONS.forEach((p, i) => {
    sets[p] = { ...queries, pixels: bytes.slice(i * size, (i + 1) * size) };
  });
  return sets as QuerySets;
}

/**
 * The clean queries and each perturbation of them; read from `cacheDir` when `read` and a matching
 * file is there, else computed (with a progress stage per perturbation) and written there. No cache
 * when `cacheDir` is null.
 */
export async function perturbedQuerySets(
  queries: ImageSet,
  format: InputFormat,
  cacheDir: string | null,
  read: boolean,
  stage: StageReporter,
): Promise<{ sets: QuerySets; cached: boolean }> {
  const file = cacheDir ? join(cacheDir, `queries-${cacheKey(queries, format)}.bin`) : null;
  if (file && read) {
    const cached = await readFile(file).then(
      (buf) => fromCache(queries, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength)),
      () => null,
    );
    if (cached) return { sets: cached, cached: true };
  }
  const size = queries.pixels.length;
  const all = file ? new Uint8Array(size * PERTURBATIONS.length) : null;
  const sets: Partial<Record<keyof QuerySets, ImageSet>> = { clean: queries };
  for (const [i, p] of PERTURBATIONS.entries()) {
    const perturbed = await perturbQueries(p, queries, format, stage(`perturb ${p}`, queries.count));
    sets[p] = perturbed;
    all?.set(perturbed.pixels, i * size);
  }
  if (file && all) await writeFileAtomic(file, all);
  return { sets: sets as QuerySets, cached: false };
}
