/**
 * The eval report: its JSON shape (what `aesearch eval --json` prints and report.json holds), the
 * text table, and the two charts. Pure.
 */

import type { Metric } from '../store/vector-index.js';
import { type BarChart, renderBarChart } from './charts.js';
import type { OodReport } from './ood.js';
import { PERTURBATIONS, type PerturbationName } from './perturb.js';

/** Neighbours that vote in `knnAccuracy`, as in the kNN benchmarks on Fashion-MNIST. */
export const KNN_VOTERS = 10;

/** The spaces compared, in report order. */
export const EVAL_SPACES = ['pixel', 'pca', 'code'] as const;
export type EvalSpace = (typeof EVAL_SPACES)[number];

/** Label precision at each k (keys are k as strings, e.g. "10"). */
export type PrecisionByK = Record<string, number>;

/** One space's figures. */
export interface SpaceReport {
  readonly dims: number;
  /** Label precision@k of exact search. */
  readonly precision: PrecisionByK;
  /** mAP@10 of exact search (see metrics.ts for the definition). */
  readonly map10: number;
  /** kNN classification accuracy: the 10 nearest vote, a tie goes to the nearest (metrics.ts). */
  readonly knnAccuracy: number;
  /** mAP over the whole ranked database (metrics.ts), over `mapAllQueries` clean queries. */
  readonly mapAll: number;
  /** Queries `mapAll` averages over: all of them, or a seeded sample (map-all.ts). */
  readonly mapAllQueries: number;
  /** Queries per second: exact search for pixel and pca; HNSW for code (query embedding included). */
  readonly qps: number;
  /** Bytes to store one database vector (float32). */
  readonly bytesPerItem: number;
  /** precision@10 of exact search with perturbed queries. */
  readonly robustness: Record<PerturbationName, number>;
  readonly metric: Metric;
  /** How the figures were obtained, in words. */
  readonly method: string;
  readonly seconds: number;
  /** True when taken from an earlier run's cache (pixel and pca only). */
  readonly cached?: boolean;
}

/** HNSW figures of the code space. */
export interface HnswReport {
  readonly precision: PrecisionByK;
  readonly map10: number;
  readonly knnAccuracy: number;
  readonly qps: number;
  readonly recall10: number;
  /** `index` (loaded from aesearch index) or `memory` (built for this eval). */
  readonly source: 'index' | 'memory';
  readonly m: number;
  readonly efConstruction: number;
  readonly efSearch: number;
  /** Size of the index file per item, when loaded from disk. */
  readonly indexBytesPerItem: number | null;
}

/** The code space: exact figures plus HNSW. */
export interface CodeSpaceReport extends SpaceReport {
  readonly hnswRecall10: number;
  readonly exactQps: number;
  readonly hnsw: HnswReport;
}

/** What was measured, on what. */
export interface EvalProtocol {
  readonly dataset: string;
  /** Database images. */
  readonly database: number;
  /** Queries evaluated. */
  readonly queries: number;
  /** Queries the split offers (the first `queries` are used). */
  readonly queriesAvailable: number;
  readonly split: string;
  readonly origin: string;
  readonly metric: Metric;
  readonly k: number[];
  readonly relevance: string;
  readonly perturbations: Readonly<Record<PerturbationName, string>>;
  /** Clean queries that rank the whole database for `mapAll`: all, or a sample drawn with `seed`. */
  readonly mapAll: { readonly queries: number; readonly seed: number };
}

/** The whole report. */
export interface EvalReport {
  readonly protocol: EvalProtocol;
  readonly spaces: { readonly pixel: SpaceReport; readonly pca: SpaceReport; readonly code: CodeSpaceReport };
  readonly model: Record<string, unknown>;
  readonly notes: string[];
  /** How well the unusual-query score (and the plain reconstruction error) tells images that do not belong to the collection (ood.ts). */
  readonly ood: OodReport;
  readonly backend: string;
  /** Wall times of the stages not inside a space's `seconds`, and in total. */
  readonly timings: {
    readonly perturbSeconds: number;
    /** Loading (or embedding and indexing) the database codes, within the code space's seconds. */
    readonly codeDatabaseSeconds: number;
    readonly totalSeconds: number;
  };
  readonly seconds: number;
  readonly createdAt: string;
}

/** How many queries `mapAll` averages over, in words. */
function mapAllQueries(p: EvalProtocol): string {
  return p.mapAll.queries < p.queries
    ? `${p.mapAll.queries} of the queries (seeded sample, seed ${p.mapAll.seed})`
    : 'every query';
}

/** One line stating the protocol (dataset, split, database, queries, relevance, distance, mAP sample). */
export function describeProtocol(p: EvalProtocol): string {
  const some =
    p.queries < p.queriesAvailable ? `the first ${p.queries} of ${p.queriesAvailable}` : `all ${p.queries}`;
  return (
    `protocol: ${p.dataset} from ${p.origin}; split: ${p.split}; evaluating ${p.database} database images ` +
    `with ${some} queries; relevance = same label; exact ${p.metric} kNN (code also through HNSW); ` +
    `mAP over the whole database on ${mapAllQueries(p)}`
  );
}

function cell(v: number, width = 7): string {
  return v.toFixed(3).padStart(width);
}

/** A row's figures: exact search, or HNSW (which ranks only the top k, so has no mAP over all). */
interface RowFigures {
  readonly precision: PrecisionByK;
  readonly map10: number;
  readonly knnAccuracy: number;
  readonly mapAll: number | null;
  readonly qps: number;
}

/** The report as an aligned text table (one row per space, plus code through HNSW). */
export function formatTable(report: EvalReport): string {
  const ks = report.protocol.k;
  const head = [
    'space'.padEnd(12),
    'dims'.padStart(5),
    ...ks.map((k) => `p@${k}`.padStart(7)),
    'mAP@10'.padStart(7),
    'kNN acc'.padStart(7),
    'mAP all'.padStart(7),
    ...PERTURBATIONS.map((p) => p.padStart(8)),
    'qps'.padStart(9),
    'bytes'.padStart(6),
  ].join(' ');
  const row = (name: string, s: SpaceReport, f: RowFigures) =>
    [
      `${name}${s.cached ? '*' : ''}`.padEnd(12),
      String(s.dims).padStart(5),
      ...ks.map((k) => cell(f.precision[String(k)] ?? Number.NaN)),
      cell(f.map10),
      cell(f.knnAccuracy),
      f.mapAll === null ? ''.padStart(7) : cell(f.mapAll),
      ...PERTURBATIONS.map((p) => cell(s.robustness[p], 8)),
      f.qps.toFixed(0).padStart(9),
      String(s.bytesPerItem).padStart(6),
    ].join(' ');
  const { pixel, pca, code } = report.spaces;
  const lines = [
    head,
    row('pixel', pixel, pixel),
    row('pca', pca, pca),
    row('code', code, { ...code, qps: code.exactQps }),
    row('code (HNSW)', code, { ...code.hnsw, mapAll: null }),
  ];
  if (pixel.cached || pca.cached)
    lines.push('* from the cache of an earlier run with the same data and protocol');
  lines.push(
    `robustness = p@10 of exact search with perturbed queries; code HNSW recall@10 vs exact ${code.hnswRecall10.toFixed(4)} ` +
      `(ef ${code.hnsw.efSearch}, ${code.hnsw.source === 'index' ? 'the built index' : 'built in memory'})`,
    `kNN acc = label of the majority of the ${KNN_VOTERS} nearest (ties to the nearest); ` +
      `mAP all = mAP over the whole ranked database, on ${mapAllQueries(report.protocol)}`,
  );
  lines.push(oodLine(report.ood));
  return `${lines.join('\n')}\n`;
}

/** One line of the out-of-distribution AUROCs (score, plain error): all sets together, then each. */
export function oodLine(ood: OodReport): string {
  const sets = Object.entries(ood.sets).map(
    ([name, set]) => `${name} ${set.auroc.toFixed(3)} (${set.errorAuroc.toFixed(3)})`,
  );
  const flagged = (ood.queries.unusualShare * 100).toFixed(1);
  return (
    `out-of-distribution AUROC by unusual-query score ${ood.auroc.toFixed(3)}, by reconstruction error ` +
    `${ood.errorAuroc.toFixed(3)} (by set, error in brackets: ${sets.join(', ')}; ` +
    `${ood.queries.count} held-out queries vs as many of each set; ${flagged}% of the queries flagged unusual)`
  );
}

const SERIES_NAMES: Record<EvalSpace, string> = { pixel: 'pixel', pca: 'PCA', code: 'code' };

function seriesLabel(report: EvalReport, space: EvalSpace): string {
  return `${SERIES_NAMES[space]} (${report.spaces[space].dims}-d)`;
}

function subtitle(report: EvalReport): string[] {
  const p = report.protocol;
  const n = (x: number) => x.toLocaleString('en');
  const m = report.model;
  const data = `${p.dataset}: ${n(p.database)} database images, ${n(p.queries)} queries; exact ${p.metric} kNN; relevance = same label`;
  if (typeof m.arch !== 'string') return [data];
  const preset = m.preset ? `, preset ${String(m.preset)}` : '';
  return [
    data,
    `code: ${m.arch} autoencoder, ${String(m.epochs)} epochs${preset}, weights ${String(m.weightsHash)}`,
  ];
}

/** Chart of precision@k and mAP@10 per space (SVG). */
export function precisionChart(report: EvalReport): string {
  const ks = report.protocol.k;
  const chart: BarChart = {
    title: 'Label precision by search space',
    subtitle: subtitle(report),
    yLabel: 'precision',
    groups: [...ks.map((k) => `precision@${k}`), 'mAP@10'],
    series: EVAL_SPACES.map((space) => ({
      name: seriesLabel(report, space),
      values: [...ks.map((k) => report.spaces[space].precision[String(k)] ?? 0), report.spaces[space].map10],
    })),
  };
  return renderBarChart(chart);
}

/** Chart of precision@10 per perturbation per space (SVG). */
export function robustnessChart(report: EvalReport): string {
  const chart: BarChart = {
    title: 'Robustness: precision@10 with perturbed queries',
    subtitle: [
      ...subtitle(report),
      'shift2: moved 2 px right and down; noise: gaussian sigma 0.1; jpeg224: upscaled to 224 px, JPEG quality 75',
    ],
    yLabel: 'precision@10',
    groups: ['clean', ...PERTURBATIONS],
    series: EVAL_SPACES.map((space) => ({
      name: seriesLabel(report, space),
      values: [
        report.spaces[space].precision['10'] ?? 0,
        ...PERTURBATIONS.map((p) => report.spaces[space].robustness[p]),
      ],
    })),
  };
  return renderBarChart(chart);
}
