/**
 * Reader for MNIST-format IDX files (http://yann.lecun.com/exdb/mnist/), gzipped or not.
 * Pure parsing: `parseIdx` takes bytes; `readIdxFile` is the only function here that touches the disk.
 */
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { createError } from '../errors.js';

/** Magic number of an unsigned-byte IDX file with `rank` dimensions (0x0801 labels, 0x0803 images). */
export function idxMagic(rank: number): number {
  return 0x0800 + rank;
}

/** A parsed IDX tensor of unsigned bytes. */
export interface IdxTensor {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

const GZIP_MAGIC = [0x1f, 0x8b] as const;

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

/**
 * Parses an IDX file of unsigned bytes with the given rank (1 for labels, 3 for images).
 * `file` names the source in errors. Throws IDX_BAD_MAGIC or IDX_TRUNCATED.
 */
export function parseIdx(bytes: Uint8Array, rank: number, file: string): IdxTensor {
  let raw = bytes;
  if (raw[0] === GZIP_MAGIC[0] && raw[1] === GZIP_MAGIC[1]) {
    try {
      raw = gunzipSync(raw);
    } catch (err) {
      throw createError('IDX_TRUNCATED', {
        file,
        expected: 'a complete gzip stream',
        got: `a broken one (${(err as Error).message})`,
      });
    }
  }
  const headerBytes = 4 + 4 * rank;
  if (raw.length < 4)
    throw createError('IDX_BAD_MAGIC', {
      file,
      expected: hex(idxMagic(rank)),
      got: `only ${raw.length} bytes`,
    });
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0);
  if (magic !== idxMagic(rank))
    throw createError('IDX_BAD_MAGIC', { file, expected: hex(idxMagic(rank)), got: hex(magic) });
  if (raw.length < headerBytes)
    throw createError('IDX_TRUNCATED', {
      file,
      expected: `a ${headerBytes}-byte header`,
      got: `${raw.length} bytes`,
    });
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) dims.push(view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  const available = raw.length - headerBytes;
  if (available < size)
    throw createError('IDX_TRUNCATED', {
      file,
      expected: `${size} bytes of data after the header`,
      got: available,
    });
  return { dims, data: raw.subarray(headerBytes, headerBytes + size) };
}

/** Reads and parses an IDX file from disk. Throws IDX_UNREADABLE when it cannot be read. */
export async function readIdxFile(path: string, rank: number): Promise<IdxTensor> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw createError('IDX_UNREADABLE', {
      file: path,
      reason: (err as NodeJS.ErrnoException).code ?? String(err),
    });
  }
  return parseIdx(bytes, rank, path);
}

/** Images and labels of one IDX pair, checked to match. */
export interface IdxPair {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
  /** The file's label bytes, widened to the dataset's label type. */
  readonly labels: Int32Array;
}

/** Reads an images file and its labels file; throws IDX_COUNT_MISMATCH when their counts differ. */
export async function readIdxPair(imagesPath: string, labelsPath: string): Promise<IdxPair> {
  const [images, labels] = await Promise.all([readIdxFile(imagesPath, 3), readIdxFile(labelsPath, 1)]);
  const [count = 0, rows = 0, cols = 0] = images.dims;
  const labelCount = labels.dims[0] ?? 0;
  if (count !== labelCount)
    throw createError('IDX_COUNT_MISMATCH', {
      images: imagesPath,
      imageCount: count,
      labels: labelsPath,
      labelCount,
    });
  return { count, rows, cols, pixels: images.data, labels: Int32Array.from(labels.data) };
}
