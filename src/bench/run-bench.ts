/**
 * `aesearch bench`: training, embedding, indexing and search speed in one process, on the configured
 * dataset (the full Fashion-MNIST when installed, else the bundled 10,000 images).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { toFloatImages } from '../dataset/float-images.js';
import { fingerprint } from '../dataset/split.js';
import type { Dataset, ImageSet } from '../dataset/types.js';
import { isAesearchError } from '../errors.js';
import { imageBytes } from '../image/preprocess.js';
import {
  ARCH_NAMES,
  type ArchConfig,
  type ArchName,
  defaultArchConfig,
} from '../model/architectures/index.js';
import { embedImages, embedOne } from '../model/encoder.js';
import { SEED_ARCH } from '../model/presets.js';
import { loadModel } from '../model/store.js';
import { buildDatasetIndex } from '../store/build-index.js';
import { DEFAULT_HNSW, VectorIndex } from '../store/vector-index.js';
import type { ThreadsChoice } from '../train/parallel/index.js';
import { type ModelInput, resolveTrainConfig } from '../train/train-config.js';
import { runTraining } from '../train/train-run.js';
import { type AddFigures, measureAdd } from './add-speed.js';
import { machineSpeedLine, measureMachineSpeed } from './machine-speed.js';
import { benchPgSearch, type PgSearchFigures } from './pg-search.js';
import { type CurveRow, recallCurve } from './recall-curve.js';
import { exactTopK, measureSearch, type SearchFigures } from './search-speed.js';
import { measureTraining, type TrainFigures } from './train-speed.js';

/** The bench's report; `--json` prints it. Train figures are images/s. */
export interface BenchReport {
  readonly backend: string;
  readonly machine: {
    readonly cpu: string;
    readonly cores: number;
    readonly memGb: number;
    readonly node: string;
    /** The machine-speed figure (machine-speed.ts): images/s of the seed dense AE, batch 64, 1 thread, wasm. */
    readonly referenceImgPerS: number;
  };
  readonly train: { readonly denseB64: number; readonly denseB256: number; readonly convB64: number | null };
  /** Per figure: `<name>` (the default, --threads auto), `<name>_1t` and `<name>_2t` (one and two threads). */
  readonly trainDetails: Record<string, TrainFigures>;
  readonly embedImgPerS: number;
  readonly index: {
    readonly count: number;
    /** Seconds to embed and index every image (code space): the figure the target is about. */
    readonly buildS: number;
    /** HNSW inserts per second of the worker thread alone. */
    readonly insertsPerS: number;
    readonly embedS: number;
    readonly params: typeof DEFAULT_HNSW;
    readonly pixelBuildS: number;
  };
  readonly search: { readonly code: SearchFigures; readonly pixel: SearchFigures };
  /** Adding 64x64 PNGs to the collection against sharp decoding them alone; search with 10% removed. */
  readonly add: AddFigures;
  /** Code space recall@10 and queries/s per (M, efConstruction) build and search ef: where the defaults come from. */
  readonly recallCurve: readonly CurveRow[];
  /** Queries/s for one image through the encoder and the code index (upload path minus decoding). */
  readonly encodeAndSearchQps: number;
  readonly bytesPerItem: number;
  readonly bytesPerItemPixel: number;
  readonly tensorsLeakedOver10kQueries: number;
  /** With --store: code search on the embedded index and on PostgreSQL with the same codes; else null. */
  readonly stores: PgSearchFigures | null;
  readonly peakRssMb: number;
}

/** Progress messages for the caller to show. */
export type BenchLog = (message: string) => void;

/** The seed's dense autoencoder (SEED_ARCH) for images of `input`. */
function seedDenseArch(input: ModelInput): ArchConfig {
  return defaultArchConfig(SEED_ARCH.arch, { ...SEED_ARCH, side: input.side, channels: input.channels });
}

function firstImages(set: ImageSet, extra: ImageSet, n: number, input: ModelInput): ImageSet {
  const area = imageBytes(input);
  const pixels = new Uint8Array(n * area);
  const fromSet = Math.min(n, set.count);
  pixels.set(set.pixels.subarray(0, fromSet * area));
  pixels.set(extra.pixels.subarray(0, (n - fromSet) * area), fromSet * area);
  return { count: n, pixels, labels: null };
}

function concatSets(a: ImageSet, b: ImageSet): ImageSet {
  const pixels = new Uint8Array(a.pixels.length + b.pixels.length);
  pixels.set(a.pixels);
  pixels.set(b.pixels, a.pixels.length);
  return { count: a.count + b.count, pixels, labels: null };
}

/** One timed epoch on `threads`; null when that thread count cannot train `arch` here (e.g. 2 on tensorflow). */
async function measureOn(
  arch: ArchConfig,
  images: ImageSet,
  batch: number,
  threads: ThreadsChoice,
): Promise<TrainFigures | null> {
  try {
    return await measureTraining(arch, images, batch, threads);
  } catch (err) {
    if (isAesearchError(err, 'BAD_OPTION')) return null;
    throw err;
  }
}

/**
 * Each training figure three times, back to back: `<name>_1t` on one thread, `<name>_2t` on two
 * (data-parallel), and `<name>` with the default `--threads auto`.
 */
async function benchTraining(dataset: Dataset, log: BenchLog): Promise<Record<string, TrainFigures>> {
  const input = dataset.format;
  const images = firstImages(dataset.database, dataset.queries, 10_000, input);
  const runs: [string, ArchConfig, number][] = [
    ['denseB64', seedDenseArch(input), 64],
    ['denseB256', seedDenseArch(input), 256],
  ];
  if ((ARCH_NAMES as readonly string[]).includes('conv'))
    runs.push([
      'convB64',
      defaultArchConfig('conv' as ArchName, { side: input.side, channels: input.channels }),
      64,
    ]);
  const out: Record<string, TrainFigures> = {};
  for (const [name, arch, batch] of runs) {
    log(
      `training ${name}: ${arch.arch}, batch ${batch}, 1 epoch of ${images.count} images, on 1, 2 and auto threads`,
    );
    const variants: [string, ThreadsChoice][] = [
      [`${name}_1t`, 1],
      [`${name}_2t`, 2],
      [name, 'auto'],
    ];
    for (const [key, threads] of variants) {
      const figures = await measureOn(arch, images, batch, threads);
      if (!figures) continue;
      out[key] = figures;
      log(`  ${key}: ${figures.imagesPerSecond.toFixed(0)} img/s on ${figures.threads} thread(s)`);
    }
  }
  return out;
}

async function benchIndex(dataset: Dataset, workDir: string, backend: string, log: BenchLog) {
  const input = dataset.format;
  const trainSet = firstImages(dataset.database, dataset.queries, 10_000, input);
  log('training the default dense model (2 epochs of 10,000 images) for the index');
  await runTraining(resolveTrainConfig({ epochs: 2, batchSize: 256, lr: 2e-3 }, input), {
    indexDir: workDir,
    dataset: {
      ...dataset,
      database: trainSet,
      queries: { count: 0, pixels: new Uint8Array(0), labels: null },
    },
    backend,
  });
  const model = await loadModel(workDir);
  const all = concatSets(dataset.database, dataset.queries);
  log(`embedding and indexing all ${all.count} images (code space)`);
  const manifest = await buildDatasetIndex(
    { ...dataset, database: all, fingerprint: fingerprint(all, dataset.format) },
    {
      indexDir: workDir,
      model,
      params: DEFAULT_HNSW,
      codeMetric: 'l2',
      pixel: false,
      backend,
    },
  );
  log(`  ${manifest.totalSeconds.toFixed(1)} s`);
  return { model, manifest, count: all.count };
}

async function benchSearch(dataset: Dataset, model: Awaited<ReturnType<typeof loadModel>>, log: BenchLog) {
  const dims = model.manifest.codeSize;
  const dbImages = toFloatImages(dataset.database);
  const qImages = toFloatImages(dataset.queries);
  const dbCodes = await embedImages(model.encoder, dbImages, dataset.database.count);
  const qCodes = await embedImages(model.encoder, qImages, dataset.queries.count);
  log(`building database-only indexes (${dataset.database.count} items) for search: code, then pixel`);
  const code = await VectorIndex.build(dbCodes, dims, 'l2', DEFAULT_HNSW);
  const pixelStarted = performance.now();
  const pixel = await VectorIndex.build(dbImages, imageBytes(dataset.format), 'l2', DEFAULT_HNSW);
  const pixelBuildS = (performance.now() - pixelStarted) / 1000;
  const area = imageBytes(dataset.format);
  const recallQueries = Math.min(1000, dataset.queries.count);
  log(`exact top 10 for ${recallQueries} queries (recall ground truth)`);
  const codeTruth = await exactTopK(dbCodes, qCodes.subarray(0, recallQueries * dims), dims, 'l2', 10);
  const pixelTruth = await exactTopK(dbImages, qImages.subarray(0, recallQueries * area), area, 'l2', 10);
  const codeFigures = measureSearch(code, qCodes, codeTruth);
  log('recall curve: code index builds at several (M, efConstruction), searched at several ef');
  const curve = await recallCurve(dbCodes, qCodes, dims, codeTruth, DEFAULT_HNSW);
  const pixelFigures = measureSearch(pixel, qImages, pixelTruth);
  const before = tf.memory().numTensors;
  const started = performance.now();
  for (let i = 0; i < dataset.queries.count; i++) {
    code.search(embedOne(model.encoder, qImages.subarray(i * area, (i + 1) * area)), 10);
  }
  const encodeAndSearchQps = dataset.queries.count / ((performance.now() - started) / 1000);
  return {
    codeFigures,
    curve,
    pixelFigures,
    pixelBuildS,
    encodeAndSearchQps,
    leaked: tf.memory().numTensors - before,
    dbCodes,
    bytes: { code: await indexBytes(code, dims), pixel: await indexBytes(pixel, area) },
  };
}

/** Code search on both stores with the database's codes, in one run (see pg-search.ts). */
async function benchStores(
  url: string,
  codes: Float32Array,
  dims: number,
  log: BenchLog,
): Promise<PgSearchFigures> {
  log(
    `code search on both stores: the same ${codes.length / dims} codes in hnswlib and in PostgreSQL + pgvector`,
  );
  const figures = await benchPgSearch(url, { codes, dims, onProgress: (line) => log(`  ${line}`) });
  log(
    `  embedded ${figures.embedded.qps.toFixed(0)} q/s recall@10 ${figures.embedded.recall10.toFixed(4)}; ` +
      `PostgreSQL ${figures.postgres.qps.toFixed(0)} q/s recall@10 ${figures.postgres.recall10.toFixed(4)}, ` +
      `${figures.bytesPerItem.toFixed(0)} bytes per item`,
  );
  return figures;
}

/** In-memory bytes per item: the HNSW file (vectors + links) plus, for code space, the stored raw code. */
async function indexBytes(index: VectorIndex, dims: number): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'aesearch-bytes-'));
  try {
    await index.save(join(dir, 'i.hnsw'));
    const { size } = await stat(join(dir, 'i.hnsw'));
    return size / index.count + (dims < 784 ? dims * 4 : 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the whole bench; `workDir` is a scratch index folder. */
export async function runBench(
  dataset: Dataset,
  backend: string,
  workDir: string,
  log: BenchLog,
  store: string | null = null,
): Promise<BenchReport> {
  log('machine speed: the seed dense AE, batch 64, on one thread (wasm)');
  const reference = await measureMachineSpeed();
  log(`  ${machineSpeedLine(reference)}`);
  const trainDetails = await benchTraining(dataset, log);
  const { model, manifest, count } = await benchIndex(dataset, workDir, backend, log);
  try {
    const s = await benchSearch(dataset, model, log);
    const stores = store === null ? null : await benchStores(store, s.dbCodes, model.manifest.codeSize, log);
    log('adding 400 64x64 PNGs to the collection, against sharp decoding them alone; then removing 10%');
    const add = await measureAdd(workDir, workDir);
    log(
      `  ${add.imagesPerS.toFixed(0)} img/s added, ${add.decodeOnlyPerS.toFixed(0)} img/s decode only; search ${add.removed10.ratio.toFixed(2)}x with 10% removed`,
    );
    const cpu = cpus();
    return {
      backend,
      machine: {
        cpu: cpu[0]?.model ?? 'unknown',
        cores: cpu.length,
        memGb: Math.round(totalmem() / 2 ** 30),
        node: process.version,
        referenceImgPerS: reference.imgPerS,
      },
      train: {
        denseB64: trainDetails.denseB64?.imagesPerSecond ?? 0,
        denseB256: trainDetails.denseB256?.imagesPerSecond ?? 0,
        convB64: trainDetails.convB64?.imagesPerSecond ?? null,
      },
      trainDetails,
      embedImgPerS: count / manifest.embedSeconds,
      index: {
        count,
        buildS: manifest.totalSeconds,
        insertsPerS: count / manifest.code.buildSeconds,
        embedS: manifest.embedSeconds,
        params: DEFAULT_HNSW,
        pixelBuildS: s.pixelBuildS,
      },
      search: { code: s.codeFigures, pixel: s.pixelFigures },
      add,
      recallCurve: s.curve,
      encodeAndSearchQps: s.encodeAndSearchQps,
      bytesPerItem: s.bytes.code,
      bytesPerItemPixel: s.bytes.pixel,
      tensorsLeakedOver10kQueries: s.leaked,
      stores,
      peakRssMb: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    model.encoder.dispose();
    model.decoder.dispose();
  }
}
