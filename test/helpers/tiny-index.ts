/**
 * A tiny trained index for tests: a small dense autoencoder trained for a few batches on the first few
 * hundred bundled Fashion-MNIST images, indexed into a temp folder. Build it once per test file, in `before`.
 */

import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { loadModel } from '../../src/model/store.js';
import { SearchService } from '../../src/search/search-service.js';
import { buildDatasetIndex } from '../../src/store/build-index.js';
import { DEFAULT_HNSW } from '../../src/store/vector-index.js';
import { resolveTrainConfig, type TrainSettings } from '../../src/train/train-config.js';
import { runTraining, type TrainRunResult } from '../../src/train/train-run.js';
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

/**
 * Trains one epoch of `settings.steps` batches of 32 into `indexDir`, as `aesearch train` would with
 * `settings` (which override these defaults).
 */
export function trainBriefly(
  indexDir: string,
  dataset: Dataset,
  settings: TrainSettings & { steps: number },
): Promise<TrainRunResult> {
  const config = resolveTrainConfig({ epochs: 1, batchSize: 32, lr: 1e-3, ...settings }, dataset.format);
  return runTraining(config, { indexDir, dataset, backend: 'test' });
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
  await trainBriefly(indexDir, dataset, {
    codeSize: options.codeSize ?? 8,
    hidden: options.hidden ?? [32],
    steps: options.steps ?? 5,
    seed: options.seed ?? 3,
  });
  const model = await loadModel(indexDir);
  try {
    await buildDatasetIndex(dataset, {
      indexDir,
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
  const open = () => SearchService.open(indexDir);
  return { indexDir, dataset, open, cleanup };
}
