/** Loads a dataset by name (`fashion-mnist`, `mnist`) or folder path. */
import { existsSync } from 'node:fs';
import { createError } from '../errors.js';
import { type FolderReadEvents, loadFolderDataset } from './folder-dataset.js';
import { loadIdxDataset, NAMED_DATASETS } from './idx-dataset.js';
import type { Dataset } from './types.js';

/** Where and how to load a dataset. */
export interface DatasetOptions extends FolderReadEvents {
  /** A name in NAMED_DATASETS or a folder path. */
  readonly data: string;
  /** Folders that hold named datasets, e.g. [<repo>/data, /usr/share/datasets]. */
  readonly searchPath: readonly string[];
  /** Keep only the first N database images. */
  readonly limit?: number;
}

/** Loads the dataset; throws DATASET_NOT_FOUND, EMPTY_DATASET or IDX_* errors. */
export async function loadDataset(options: DatasetOptions): Promise<Dataset> {
  if (options.data in NAMED_DATASETS) return loadIdxDataset(options.data, options.searchPath, options.limit);
  if (existsSync(options.data)) return loadFolderDataset(options.data, options.limit, options);
  throw createError('DATASET_NOT_FOUND', { name: options.data, looked: options.data });
}
