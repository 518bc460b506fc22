/**
 * The recall curve the default HNSW parameters are picked from: recall@10 against exact search and
 * queries/s, for a few (M, efConstruction) builds over a range of search ef.
 */
import { type HnswParams, VectorIndex } from '../store/vector-index.js';
import { measureSearch } from './search-speed.js';

/** Builds compared, as [M, efConstruction]. */
const CURVE_BUILDS: readonly (readonly [number, number])[] = [
  [12, 100],
  [16, 100],
  [16, 200],
  [24, 100],
];

/** Search ef values tried on each build. */
const CURVE_EFS: readonly number[] = [16, 32, 64, 128];

/** One build's curve. */
export interface CurveRow {
  readonly m: number;
  readonly efConstruction: number;
  readonly buildS: number;
  readonly points: readonly { readonly ef: number; readonly recall10: number; readonly qps: number }[];
}

/** Measures the curve on `database` codes with `queries` whose exact top 10 is `truth` (one set per query). */
export async function recallCurve(
  database: Float32Array,
  queries: Float32Array,
  dims: number,
  truth: readonly Set<number>[],
  base: HnswParams,
): Promise<CurveRow[]> {
  const rows: CurveRow[] = [];
  const measured = queries.subarray(0, truth.length * dims);
  for (const [m, efConstruction] of CURVE_BUILDS) {
    const started = performance.now();
    const index = await VectorIndex.build(database, dims, 'l2', { ...base, m, efConstruction });
    const buildS = (performance.now() - started) / 1000;
    const points = CURVE_EFS.map((ef) => {
      index.setEf(ef);
      const f = measureSearch(index, measured, truth);
      return { ef, recall10: f.recall10, qps: f.qps };
    });
    rows.push({ m, efConstruction, buildS, points });
  }
  return rows;
}
