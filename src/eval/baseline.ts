/**
 * The baselines the code space is compared with: exact search over raw pixels, and over PCA of the
 * pixels (fitted on the database, as many dims as the code). They depend only on the data and the
 * protocol, not on the model, so they are cached on disk keyed by everything they depend on.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../dataset/types.js';
import type { Metric } from '../store/vector-index.js';
import type { BackendName } from '../tfjs/backend.js';
import { writeJsonAtomic } from '../util/atomic-fs.js';
import { fitPca, projectPca } from './pca.js';
import { PERTURBATION_PROTOCOL } from './perturb.js';
import type { SpaceReport } from './report.js';
import { type EvalLabels, evaluateExactSpace, type QuerySets, type StageReporter } from './space-eval.js';
import { pixelVectors } from './vectors.js';

/** Bump when a change alters baseline figures, so old cache files are ignored. */
const CACHE_VERSION = 2;

/** The pixel and PCA reports. */
export interface Baselines {
  readonly pixel: SpaceReport;
  readonly pca: SpaceReport & { readonly explainedVariance: number };
}

/** What the baselines depend on. */
export interface BaselineInput {
  readonly dataset: Dataset;
  readonly queries: QuerySets;
  readonly labels: EvalLabels;
  readonly ks: readonly number[];
  readonly metric: Metric;
  readonly pcaDims: number;
  readonly backend: BackendName;
  readonly threads?: number;
  /** Clean queries (a seeded sample) for mAP over the whole database. */
  readonly mapAllQueries: number;
}

/** Evaluates the pixel and PCA spaces. */
export async function evaluateBaselines(input: BaselineInput, stage: StageReporter): Promise<Baselines> {
  const { dataset, queries, labels, ks, metric, backend, threads, mapAllQueries } = input;
  const pixelDb = pixelVectors(dataset.database);
  const common = { metric, backend, mapAllQueries, ...(threads ? { threads } : {}) };
  const pixel = await evaluateExactSpace(
    { name: 'pixel', database: pixelDb, embed: async (set) => pixelVectors(set), ...common },
    queries,
    labels,
    ks,
    stage,
  );
  const started = performance.now();
  const pca = await fitPca(pixelDb, input.pcaDims, stage('PCA covariance', pixelDb.count));
  const pcaDb = await projectPca(pca, pixelDb);
  const fitSeconds = (performance.now() - started) / 1000;
  const reduced = await evaluateExactSpace(
    { name: 'pca', database: pcaDb, embed: (set) => projectPca(pca, pixelVectors(set)), ...common },
    queries,
    labels,
    ks,
    stage,
  );
  const report = reduced.report;
  return {
    pixel: pixel.report,
    pca: {
      ...report,
      method: `${report.method}; PCA fitted on the database in ${fitSeconds.toFixed(1)} s (${pca.iterations} subspace iterations)`,
      seconds: report.seconds + fitSeconds,
      explainedVariance: pca.explained,
    },
  };
}

/** A key naming everything the baselines depend on (16 hex digits). */
export function baselineKey(input: Omit<BaselineInput, 'backend' | 'threads'>): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify({
      version: CACHE_VERSION,
      dataset: input.dataset.name,
      fingerprint: input.dataset.fingerprint,
      ks: input.ks,
      metric: input.metric,
      pcaDims: input.pcaDims,
      mapAllQueries: input.mapAllQueries,
      perturbations: PERTURBATION_PROTOCOL,
    }),
  );
  for (const set of Object.values(input.queries)) hash.update(set.pixels);
  hash.update(input.labels.queries);
  if (input.labels.databaseIds) hash.update(input.labels.databaseIds);
  return hash.digest('hex').slice(0, 16);
}

/** Reads cached baselines for `key` from `dir`, or null when absent or unreadable. */
export async function readCachedBaselines(dir: string, key: string): Promise<Baselines | null> {
  try {
    const cached = JSON.parse(await readFile(join(dir, `baseline-${key}.json`), 'utf8')) as Baselines;
    if (!cached.pixel || !cached.pca) return null;
    return { pixel: { ...cached.pixel, cached: true }, pca: { ...cached.pca, cached: true } };
  } catch {
    return null;
  }
}

/** Writes baselines for `key` into `dir` (created when missing). */
export async function writeCachedBaselines(dir: string, key: string, baselines: Baselines): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeJsonAtomic(join(dir, `baseline-${key}.json`), baselines);
}
