/**
 * The map of the collection: a stratified sample of the items' codes laid out in 2-D when the index is
 * built, by UMAP (umap-js, seeded) or, for a few hundred points or codes of two dimensions or fewer, by
 * PCA (math/covariance.ts and math/eigen.ts). Kept in the ann folder as `map.json`.
 */
import { UMAP } from 'umap-js';
import { z } from 'zod';
import { createError } from '../errors.js';
import { columnMeans, covariance } from '../math/covariance.js';
import { topEigen } from '../math/eigen.js';
import { writeFileAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/read-json.js';
import { createRng, shuffleInPlace } from '../util/rng.js';

/** Items on the map, at most. */
export const MAP_POINTS_MAX = 5000;

/**
 * Fewest points UMAP lays out; below it PCA does. umap-js took ~2.4 s for 300 points and ~29 s for 5,000
 * (200 epochs, 2 loaded cores): for a few hundred points PCA's picture is about as telling and instant.
 */
export const UMAP_MIN_POINTS = 1000;

/** UMAP's optimisation epochs: 200 settles a few thousand points (umap-js's default, 500, took 45% longer). */
const UMAP_EPOCHS = 200;

/** How the codes were laid out. */
export const MAP_METHODS = ['umap', 'pca'] as const;
export type MapMethod = (typeof MAP_METHODS)[number];

export const mapFileSchema = z
  .object({
    method: z.enum(MAP_METHODS),
    points: z.array(
      z.object({ id: z.number().int(), x: z.number(), y: z.number(), label: z.number().int().nullable() }),
    ),
  })
  .readonly();

/** The map file's content: each point's item id, position (in [0, 1], aspect kept) and label at build time. */
export type CollectionMap = z.infer<typeof mapFileSchema>;
export type MapPoint = CollectionMap['points'][number];

/**
 * Up to `max` ids of `labels` (id -> label, -1 when none), each label's share kept (largest remainders),
 * drawn at random with `seed`; ascending.
 */
export function stratifiedSample(labels: ReadonlyMap<number, number>, max: number, seed: number): number[] {
  if (labels.size <= max) return [...labels.keys()].sort((a, b) => a - b);
  const groups = new Map<number, number[]>();
  for (const [id, label] of labels) {
    const group = groups.get(label) ?? [];
    group.push(id);
    groups.set(label, group);
  }
  const entries = [...groups.entries()].sort(([a], [b]) => a - b);
  const exact = entries.map(([, ids]) => (ids.length * max) / labels.size);
  const quotas = exact.map(Math.floor);
  const byRemainder = exact.map((x, i) => ({ i, rest: x - Math.floor(x) })).sort((a, b) => b.rest - a.rest);
  for (let left = max - quotas.reduce((s, q) => s + q, 0), r = 0; left > 0; left--, r++) {
    const i = byRemainder[r]?.i ?? 0;
    quotas[i] = (quotas[i] ?? 0) + 1;
  }
  const rng = createRng(seed);
  const picked = entries.flatMap(([, ids], i) => {
    const shuffled = [...ids].sort((a, b) => a - b);
    shuffleInPlace(shuffled, rng);
    return shuffled.slice(0, quotas[i]);
  });
  return picked.sort((a, b) => a - b);
}

/** Scales 2-D points into [0, 1] on their longer side, centred on the shorter, aspect kept. */
function fitUnitSquare(xy: Float64Array): Float64Array {
  const range = [0, 1].map((axis) => {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = axis; i < xy.length; i += 2) {
      min = Math.min(min, xy[i] ?? 0);
      max = Math.max(max, xy[i] ?? 0);
    }
    return { min, extent: max - min };
  });
  const extent = Math.max(range[0]?.extent ?? 0, range[1]?.extent ?? 0) || 1;
  return xy.map((v, i) => {
    const { min, extent: own } = range[i % 2] ?? { min: 0, extent: 0 };
    return (v - min + (extent - own) / 2) / extent;
  });
}

/** The rows projected on their first two principal axes (the second zero for 1-d rows). */
async function pcaLayout(rows: Float32Array, count: number, dims: number): Promise<Float64Array> {
  const set = { data: rows, count, dims };
  const mean = columnMeans(set);
  const axes = topEigen(await covariance(set, mean), dims, Math.min(2, dims)).vectors;
  const xy = new Float64Array(count * 2);
  for (let r = 0; r < count; r++)
    for (let a = 0; a < Math.min(2, dims); a++) {
      let sum = 0;
      for (let j = 0; j < dims; j++)
        sum += ((rows[r * dims + j] ?? 0) - (mean[j] ?? 0)) * (axes[a * dims + j] ?? 0);
      xy[r * 2 + a] = sum;
    }
  return xy;
}

async function umapLayout(
  rows: Float32Array,
  count: number,
  dims: number,
  seed: number,
): Promise<Float64Array> {
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors: Math.min(15, count - 1),
    nEpochs: UMAP_EPOCHS,
    random: createRng(seed),
  });
  const vectors = Array.from({ length: count }, (_, r) =>
    Array.from(rows.subarray(r * dims, (r + 1) * dims)),
  );
  // fitAsync yields to the event loop between epochs.
  return Float64Array.from((await umap.fitAsync(vectors)).flat());
}

/** The method `layoutMap` picks for `count` points of `dims` dimensions. */
export function mapMethodFor(count: number, dims: number): MapMethod {
  return count >= UMAP_MIN_POINTS && dims > 2 ? 'umap' : 'pca';
}

/**
 * Lays out `count` rows of `dims` floats in 2-D, each coordinate in [0, 1]: by `method` (default:
 * mapMethodFor), UMAP seeded with `seed`. Returns the method used and x, y interleaved.
 */
export async function layoutMap(
  rows: Float32Array,
  dims: number,
  seed: number,
  method: MapMethod = mapMethodFor(rows.length / dims, dims),
): Promise<{ method: MapMethod; xy: Float64Array }> {
  const count = rows.length / dims;
  if (count === 0) return { method, xy: new Float64Array(0) };
  // UMAP needs a neighbourhood: with fewer than 3 points it has none.
  const used = method === 'umap' && count >= 3 ? 'umap' : 'pca';
  const xy = used === 'umap' ? await umapLayout(rows, count, dims, seed) : await pcaLayout(rows, count, dims);
  return { method: used, xy: fitUnitSquare(xy) };
}

/** Writes a map file (coordinates to 4 decimals: a 1/10,000 of the map is below a pixel). */
export async function writeMap(file: string, map: CollectionMap): Promise<void> {
  const round = (v: number) => Math.round(v * 1e4) / 1e4;
  const points = map.points.map((p) => ({ id: p.id, x: round(p.x), y: round(p.y), label: p.label }));
  await writeFileAtomic(file, JSON.stringify({ method: map.method, points }));
}

/** Reads a map file; throws INDEX_CORRUPT naming it when it is not one. */
export async function readMap(file: string): Promise<CollectionMap> {
  return readJsonFile(file, mapFileSchema, {
    missing: () => createError('INDEX_CORRUPT', { file, reason: 'the file is missing' }),
    corrupt: (reason) => createError('INDEX_CORRUPT', { file, reason }),
  });
}
