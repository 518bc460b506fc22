/** The shapes every dataset reader produces. */
import type { InputFormat } from '../image/preprocess.js';

/** A set of same-sized images with optional labels. */
export interface ImageSet {
  readonly count: number;
  /** count x side x side x channels bytes, row-major, RGB interleaved; 0 is dark, 255 full intensity. */
  readonly pixels: Uint8Array;
  /** One class index per image (into the dataset's classNames), or null when the dataset has none. */
  readonly labels: Int32Array | null;
  /** For image-folder datasets, the file each image came from. */
  readonly sources?: readonly string[];
}

/** The eval's queries; for folders, copies of database items that must not find themselves. */
export interface QuerySet extends ImageSet {
  /** Each query's own database id, excluded from its neighbours; absent when queries are not in the database. */
  readonly databaseIds?: Int32Array;
}

/** A dataset split into the database (training and indexing) and the queries (evaluation). */
export interface Dataset {
  /** `fashion-mnist`, `mnist`, or the folder's path. */
  readonly name: string;
  readonly kind: 'idx' | 'folder';
  /** Where the images came from, for logs and manifests. */
  readonly origin: string;
  /** How database and queries were split, in words. */
  readonly split: string;
  /** The model input its images are decoded to (side, channels). */
  readonly format: InputFormat;
  readonly classNames: readonly string[] | null;
  readonly database: ImageSet;
  readonly queries: QuerySet;
  /** sha256 of the input format, database images and labels, first 16 hex digits: ties an index to its data. */
  readonly fingerprint: string;
}

/** The label's class name, or null when unlabelled. */
export function labelName(dataset: Pick<Dataset, 'classNames'>, label: number | null): string | null {
  if (label === null || label < 0) return null;
  return dataset.classNames?.[label] ?? String(label);
}
