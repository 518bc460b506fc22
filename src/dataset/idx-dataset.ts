/** Finds and loads the named IDX datasets (fashion-mnist, mnist): full train/test set, or the bundled test split. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createError } from '../errors.js';
import { IDX_FORMAT, imageBytes } from '../image/preprocess.js';
import { FASHION_MNIST_CLASSES, MNIST_CLASSES } from './class-names.js';
import { readIdxPair } from './idx.js';
import { fingerprint, head, splitEveryTenth } from './split.js';
import type { Dataset, ImageSet } from './types.js';

/** Datasets known by name, with their class names. */
export const NAMED_DATASETS: Readonly<Record<string, readonly string[]>> = {
  'fashion-mnist': FASHION_MNIST_CLASSES,
  mnist: MNIST_CLASSES,
};

const AREA = imageBytes(IDX_FORMAT);

const SPLIT_FILES = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
} as const;

function findFile(dir: string, base: string): string | undefined {
  return [`${base}.gz`, base].map((f) => join(dir, f)).find((p) => existsSync(p));
}

function findPair(dir: string, split: keyof typeof SPLIT_FILES): [string, string] | undefined {
  const [imagesBase, labelsBase] = SPLIT_FILES[split];
  const images = findFile(dir, imagesBase);
  const labels = findFile(dir, labelsBase);
  return images && labels ? [images, labels] : undefined;
}

/** Where a named dataset's files are: the first folder with the full set, else the first with the test split. */
export function locateIdxDataset(
  name: string,
  searchPath: readonly string[],
): { dir: string; full: boolean } | undefined {
  const dirs = searchPath.map((root) => join(root, name));
  const full = dirs.find((d) => findPair(d, 'train') && findPair(d, 'test'));
  if (full) return { dir: full, full: true };
  const bundled = dirs.find((d) => findPair(d, 'test'));
  return bundled ? { dir: bundled, full: false } : undefined;
}

async function readSplit(dir: string, split: keyof typeof SPLIT_FILES): Promise<ImageSet> {
  const pair = findPair(dir, split);
  if (!pair) throw createError('DATASET_NOT_FOUND', { name: `${dir} ${split} split`, looked: dir });
  const { count, rows, cols, pixels, labels } = await readIdxPair(pair[0], pair[1]);
  if (rows !== cols)
    throw createError('IDX_UNREADABLE', {
      file: pair[0],
      reason: `images are ${rows}x${cols}; only square images are supported`,
    });
  if (rows !== IDX_FORMAT.side)
    throw createError('IDX_UNREADABLE', {
      file: pair[0],
      reason: `images are ${rows}x${cols}; the named datasets are ${IDX_FORMAT.side}x${IDX_FORMAT.side}`,
    });
  return { count, pixels, labels };
}

/**
 * Loads a named IDX dataset from the first folder of `searchPath` that has it. With the full set the
 * train split is the database and the test split the queries; with only the test split, every 10th
 * image is a query. `limit` keeps the first N database images. Throws DATASET_NOT_FOUND or IDX_* errors.
 */
export async function loadIdxDataset(
  name: string,
  searchPath: readonly string[],
  limit?: number,
): Promise<Dataset> {
  const found = locateIdxDataset(name, searchPath);
  if (!found)
    throw createError('DATASET_NOT_FOUND', { name, looked: searchPath.map((r) => join(r, name)).join(', ') });
  const classNames = NAMED_DATASETS[name] ?? null;
  if (found.full) {
    const [train, test] = await Promise.all([readSplit(found.dir, 'train'), readSplit(found.dir, 'test')]);
    const database = head(train, limit, AREA);
    return {
      name,
      kind: 'idx',
      origin: `${found.dir} (full set)`,
      split: `database = train split (${database.count}), queries = test split (${test.count})`,
      format: IDX_FORMAT,
      classNames,
      database,
      queries: { count: test.count, pixels: test.pixels, labels: test.labels },
      fingerprint: fingerprint(database, IDX_FORMAT),
    };
  }
  const test = await readSplit(found.dir, 'test');
  const { database: all, queries } = splitEveryTenth(test, AREA);
  const database = head(all, limit, AREA);
  return {
    name,
    kind: 'idx',
    origin: `${found.dir} (test split only)`,
    split: `test split, every 10th image a query: database ${database.count}, queries ${queries.count}`,
    format: IDX_FORMAT,
    classNames,
    database,
    queries,
    fingerprint: fingerprint(database, IDX_FORMAT),
  };
}
