/**
 * A tiny trained index for tests: a small dense autoencoder trained for a few batches on the first few
 * hundred bundled Fashion-MNIST images, indexed into a temp folder. Build it once per test file, in `before`.
 */

import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { type ArchConfig, defaultArchConfig } from '../../src/model/architectures/index.js';
import { loadModel } from '../../src/model/store.js';
import { SearchService } from '../../src/search/search-service.js';
import { buildIndex } from '../../src/store/build-index.js';
import { DEFAULT_HNSW } from '../../src/store/vector-index.js';
import { runTraining, type TrainRunOptions, type TrainRunResult } from '../../src/train/train-run.js';
import { useTestBackend } from './backend.js';
import { TEST_DATA_PATH, tempDir } from './fixtures.js';

/** How to build the tiny index. */
export interface TinyIndexOptions {
  /** Database images to train on and index (default 300). */
  readonly limit?: number;
  /** Code dimensions (default 8). */
  readonly codeSize?: number;
  /** Hidden layer widths (default [32]). */
  readonly hidden?: number[];
  /** Also build the raw-pixel index (default true). */
  readonly pixel?: boolean;
  /** Training batches (of 32) in the single epoch (default 5). */
  readonly steps?: number;
  readonly seed?: number;
}

/** A built tiny index in a temp folder. */
export interface TinyIndex {
  readonly indexDir: string;
  readonly dataset: Dataset;
  /** Opens a SearchService on it (the caller closes it). */
  open(): Promise<SearchService>;
  /** Removes the temp folder. */
  cleanup(): Promise<void>;
}

/** Trains `arch` for one epoch of `steps` batches of 32 into `indexDir` (`extra` overrides any option). */
export function trainBriefly(
  indexDir: string,
  dataset: Dataset,
  arch: ArchConfig,
  steps: number,
  extra: Partial<TrainRunOptions> = {},
): Promise<TrainRunResult> {
  return runTraining({
    indexDir,
    dataset,
    arch,
    epochs: 1,
    batchSize: 32,
    learningRate: 1e-3,
    seed: 1,
    maxBatchesPerEpoch: steps,
    resume: false,
    backend: 'test',
    preset: null,
    ...extra,
  });
}

/** Trains and indexes a tiny model on the bundled data into a fresh temp folder. */
export async function buildTinyIndex(options: TinyIndexOptions = {}): Promise<TinyIndex> {
  await useTestBackend();
  const { dir: indexDir, cleanup } = await tempDir('aesearch-tiny-');
  const dataset = await loadDataset({
    data: 'fashion-mnist',
    searchPath: TEST_DATA_PATH,
    limit: options.limit ?? 300,
  });
  await trainBriefly(
    indexDir,
    dataset,
    defaultArchConfig('dense', { codeSize: options.codeSize ?? 8, hidden: options.hidden ?? [32] }),
    options.steps ?? 5,
    { seed: options.seed ?? 3 },
  );
  const model = await loadModel(indexDir);
  try {
    await buildIndex({
      indexDir,
      dataset,
      model,
      params: DEFAULT_HNSW,
      codeMetric: 'l2',
      pixel: options.pixel ?? true,
      backend: 'test',
    });
  } finally {
    model.encoder.dispose();
    model.decoder.dispose();
  }
  const open = () => SearchService.open(indexDir, { dataset });
  return { indexDir, dataset, open, cleanup };
}
