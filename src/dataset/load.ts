/** Loads a dataset by name (`fashion-mnist`, `mnist`) or folder path. */
import { existsSync } from 'node:fs';
import { createError } from '../errors.js';
import {
  DEFAULT_FOLDER_SIDE,
  folderFormat,
  IDX_FORMAT,
  IMAGE_SIDE_RANGE_PX,
  type InputFormat,
} from '../image/preprocess.js';
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
  /** Side of a folder's model input in pixels (default DEFAULT_FOLDER_SIDE); named datasets take only 28. */
  readonly imageSize?: number | undefined;
  /** Decode a folder to grayscale (with light-border inversion) instead of colour. */
  readonly gray?: boolean | undefined;
}

/**
 * The input format `options` ask of their dataset: IDX_FORMAT for a named one, else a folder format.
 * Throws BAD_OPTION for an --image-size a named dataset cannot have, or one out of range.
 */
export function datasetFormat(options: Pick<DatasetOptions, 'data' | 'imageSize' | 'gray'>): InputFormat {
  const size = options.imageSize;
  if (options.data in NAMED_DATASETS) {
    if (size !== undefined && size !== IDX_FORMAT.side)
      throw createError('BAD_OPTION', {
        name: `--image-size for ${options.data}`,
        expected: `${IDX_FORMAT.side} (its images are ${IDX_FORMAT.side}x${IDX_FORMAT.side} grayscale; other sizes are for image folders), or left out`,
        got: size,
      });
    return IDX_FORMAT;
  }
  const { min, max } = IMAGE_SIDE_RANGE_PX;
  if (size !== undefined && !(Number.isInteger(size) && size >= min && size <= max))
    throw createError('BAD_OPTION', {
      name: '--image-size',
      expected: `a whole number of pixels from ${min} to ${max}`,
      got: size,
    });
  return folderFormat(size ?? DEFAULT_FOLDER_SIDE, options.gray === true);
}

/** Loads the dataset; throws BAD_OPTION (see datasetFormat), DATASET_NOT_FOUND, EMPTY_DATASET or IDX_* errors. */
export async function loadDataset(options: DatasetOptions): Promise<Dataset> {
  const format = datasetFormat(options);
  if (options.data in NAMED_DATASETS) return loadIdxDataset(options.data, options.searchPath, options.limit);
  if (existsSync(options.data)) return loadFolderDataset(options.data, format, options.limit, options);
  throw createError('DATASET_NOT_FOUND', { name: options.data, looked: options.data });
}
