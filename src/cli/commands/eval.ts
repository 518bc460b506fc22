/**
 * `aesearch eval`: label precision, mAP@10, kNN accuracy, mAP over the whole database, robustness,
 * queries/s and bytes per item of the pixel, PCA and code spaces side by side, with HNSW recall for the
 * code space; a table, or one JSON object.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../../config.js';
import { loadDataset } from '../../dataset/load.js';
import { DEFAULT_COPY_ITEMS, formatCopiesTable, runCopies } from '../../eval/copies.js';
import { DEFAULT_MAP_ALL_QUERIES } from '../../eval/map-all.js';
import type { OtherCollection } from '../../eval/ood.js';
import { writeEvalOutputs } from '../../eval/outputs.js';
import { describeProtocol, type EvalReport, formatTable } from '../../eval/report.js';
import { modelSummary, protocolOf, reportedKs, runEval } from '../../eval/run-eval.js';
import type { StageReporter } from '../../eval/space-eval.js';
import { type LoadedModel, loadModel } from '../../model/store.js';
import { readIndexManifest } from '../../store/manifest.js';
import { loadStoredModel } from '../../store/pg/pg-source.js';
import { PgStore } from '../../store/pg/pg-store.js';
import { METRICS, type Metric } from '../../store/vector-index.js';
import { writeJsonAtomic } from '../../util/atomic-fs.js';
import { log, openDataset, prepare } from '../context.js';
import { type CommonFlags, commonOptions, intIn } from '../options.js';
import { type Bar, startBar } from '../progress.js';

/** The copy test's report file in the output folder. */
const COPIES_FILE = 'copies.json';

interface EvalFlags extends CommonFlags {
  queries?: number;
  k: number[];
  json?: boolean;
  out?: string;
  metric?: Metric;
  limit?: number;
  threads?: number;
  mapQueries?: number;
  cache: boolean;
  copies?: boolean;
  copiesItems?: number;
  oodData?: string[];
}

/** Parses "1,10,50" into whole numbers from 1 to 1000. */
export function parseKList(value: string): number[] {
  const parts = value.split(',').map((s) => s.trim());
  const ks = parts.map(Number);
  if (parts.some((p) => !/^\d+$/.test(p)) || ks.some((k) => k < 1 || k > 1000))
    throw new InvalidArgumentError(`expected comma-separated whole numbers from 1 to 1000, got "${value}"`);
  return [...new Set(ks)].sort((a, b) => a - b);
}

/** The saved index's code metric and database size, when an index exists. */
type SavedIndex = { metric: Metric; count: number; name: string };

async function savedIndex(config: Config): Promise<SavedIndex | null> {
  try {
    const m = await readIndexManifest(config.indexDir);
    return { metric: m.code.metric, count: m.collection.count, name: m.collection.name };
  } catch {
    return null;
  }
}

/** The model to evaluate and the served index's figures: the index folder's, or with --store the store's. */
async function evalModel(config: Config): Promise<{ model: LoadedModel; saved: SavedIndex | null }> {
  if (config.store === null)
    return { model: await loadModel(config.indexDir), saved: await savedIndex(config) };
  const store = await PgStore.open(config.store);
  try {
    const build = await store.build();
    const model = await loadStoredModel(store, build?.manifest.model.weightsHash);
    const saved = build && {
      metric: build.manifest.code.metric,
      count: build.manifest.collection.count,
      name: build.manifest.collection.name,
    };
    return { model, saved };
  } finally {
    await store.close();
  }
}

/** One progress bar per stage; starting a stage ends the previous bar. */
function barReporter(): { stage: StageReporter; stop: () => void } {
  let bar: Bar | undefined;
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const stage: StageReporter = (label, total) => {
    stop();
    const mine = startBar(label, total);
    bar = mine;
    return (done) => mine.update(done);
  };
  return { stage, stop };
}

/** Adds the eval command to `program`. */
export function registerEval(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      'compare exact search over pixels, PCA and autoencoder codes (and HNSW over codes): precision@k, mAP@10, kNN accuracy, mAP, robustness, queries/s',
    )
    .option('--queries <n>', 'evaluate the first N queries only (default: all)', intIn(1, 10_000_000))
    .option(
      '--k <list>',
      'precision depths, comma-separated (10 is always included)',
      parseKList,
      [1, 10, 50],
    )
    .option('--json', 'print one JSON object (the report) on stdout; the table goes to stderr')
    .option('--out <dir>', 'folder for report.json and the PNG charts (default <index-dir>/eval)')
    .addOption(
      new Option('--metric <name>', "distance for every space (default: the code index's, else l2)").choices(
        METRICS,
      ),
    )
    .option(
      '--limit <n>',
      'database = first N images (default: as many as the index holds)',
      intIn(1, 10_000_000),
    )
    .option('--threads <n>', 'threads for exact search (default: 2 when it pays)', intIn(1, 2))
    .option(
      '--map-queries <n>',
      `queries (a seeded sample) that rank the whole database for mapAll (default ${DEFAULT_MAP_ALL_QUERIES}; more than --queries: all)`,
      intIn(1, 10_000_000),
    )
    .option(
      '--copies',
      'instead of the label figures, the copy test (needs no labels): edited copies (crop, rotate, colour, JPEG 30, downscale, caption strip) of database items, and how often code and pixel search find the original (recall@1, @10); --json prints { copies }',
    )
    .option(
      '--copies-items <n>',
      `database items the copy test copies, a seeded sample (default ${DEFAULT_COPY_ITEMS}, all when fewer)`,
      intIn(1, 10_000_000),
    )
    .option(
      '--ood-data <name|folder...>',
      'other collections (a dataset name or an image folder) the out-of-distribution AUROC also tests against',
    )
    .option(
      '--no-cache',
      "recompute the perturbed queries and the pixel and PCA figures (and refresh the cache) instead of reusing an earlier run's",
    );
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(runEvalCommand);
}

/** The held-out images of each of `names` (dataset names or folders), to test out-of-distribution against. */
async function otherCollections(config: Config, names: readonly string[]): Promise<OtherCollection[]> {
  const others: OtherCollection[] = [];
  for (const name of names) {
    const other = await loadDataset({ data: name, searchPath: config.dataPath });
    others.push({ name: other.name, images: other.queries, format: other.format });
  }
  return others;
}

/** Loads model and data, runs the eval with progress bars, writes the outputs and prints the result. */
async function runEvalCommand(flags: EvalFlags): Promise<void> {
  const started = performance.now();
  const { config, backend } = await prepare(flags);
  const { model, saved } = await evalModel(config);
  const { stage, stop } = barReporter();
  try {
    const limit = flags.limit ?? (saved && saved.name === config.data ? saved.count : undefined);
    const dataset = await openDataset(config, limit);
    const metric = flags.metric ?? saved?.metric ?? 'l2';
    const outDir = flags.out ?? join(config.indexDir, 'eval');
    if (flags.copies) {
      await runCopiesCommand(
        flags,
        { indexDir: config.indexDir, dataset, model, metric, stage, stop },
        outDir,
      );
      return;
    }
    const queries = Math.min(flags.queries ?? dataset.queries.count, dataset.queries.count);
    const mapAllQueries = flags.mapQueries ?? DEFAULT_MAP_ALL_QUERIES;
    log(describeProtocol(protocolOf(dataset, queries, reportedKs(flags.k), metric, mapAllQueries)));
    const oodOthers = await otherCollections(config, flags.oodData ?? []);
    const report = await runEval({
      indexDir: config.indexDir,
      dataset,
      model,
      queries,
      ks: flags.k,
      mapAllQueries,
      metric,
      backend: backend.name,
      cacheDir: join(outDir, 'cache'),
      readCache: flags.cache,
      stage,
      note: (message) => {
        stop();
        log(message);
      },
      oodOthers,
      ...(flags.threads ? { threads: flags.threads } : {}),
    });
    stop();
    const files = await writeEvalOutputs(report, outDir);
    printReport(report, flags.json ?? false);
    log(`${timingLine(report, (performance.now() - started) / 1000)}; wrote ${files.join(', ')}`);
  } finally {
    stop();
    model.encoder.dispose();
    model.decoder.dispose();
  }
}

/** The copy test: its table on stdout (stderr with --json, which prints { copies, model, ... }), copies.json in `outDir`. */
async function runCopiesCommand(
  flags: EvalFlags,
  run: Omit<Parameters<typeof runCopies>[0], 'note' | 'items'> & { stop: () => void },
  outDir: string,
): Promise<void> {
  const { stop, ...options } = run;
  const copies = await runCopies({
    ...options,
    note: (message) => {
      stop();
      log(message);
    },
    ...(flags.copiesItems ? { items: flags.copiesItems } : {}),
  });
  stop();
  const report = {
    copies,
    dataset: { name: run.dataset.name, origin: run.dataset.origin },
    model: modelSummary(run.model),
    createdAt: new Date().toISOString(),
  };
  const file = join(outDir, COPIES_FILE);
  await mkdir(outDir, { recursive: true });
  await writeJsonAtomic(file, report);
  if (flags.json) {
    process.stderr.write(formatCopiesTable(copies));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else process.stdout.write(formatCopiesTable(copies));
  log(`wrote ${file}`);
}

/** The table on stdout; with `json`, the report as one JSON object on stdout and the table on stderr. */
function printReport(report: EvalReport, json: boolean): void {
  if (json) {
    process.stderr.write(formatTable(report));
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else process.stdout.write(`${describeProtocol(report.protocol)}\n${formatTable(report)}`);
}

function timingLine(report: EvalReport, seconds: number): string {
  const { pixel, pca, code } = report.spaces;
  const took = (x: number, cached?: boolean) => `${x.toFixed(1)} s${cached ? ' cached' : ''}`;
  return (
    `eval took ${took(seconds)} (perturbing ${took(report.timings.perturbSeconds)}, pixel ${took(pixel.seconds, pixel.cached)}, ` +
    `pca ${took(pca.seconds, pca.cached)}, code ${took(code.seconds)})`
  );
}
