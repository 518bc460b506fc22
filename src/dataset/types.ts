/** The shapes every dataset reader produces. */

/** A set of same-sized grayscale images with optional labels. */
export interface ImageSet {
  readonly count: number;
  /** count x side x side bytes, row-major; 0 is background, 255 is full intensity. */
  readonly pixels: Uint8Array;
  /** One class index per image (into the dataset's classNames), or null when the dataset has none. */
  readonly labels: Int32Array | null;
  /** For image-folder datasets, the file each image came from. */
  readonly sources?: readonly string[];
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
  readonly side: number;
  readonly classNames: readonly string[] | null;
  readonly database: ImageSet;
  readonly queries: ImageSet;
  /** sha256 of the database images and labels, first 16 hex digits: ties an index to its data. */
  readonly fingerprint: string;
}

/** The label's class name, or null when unlabelled. */
export function labelName(dataset: Pick<Dataset, 'classNames'>, label: number | null): string | null {
  if (label === null || label < 0) return null;
  return dataset.classNames?.[label] ?? String(label);
}
