/**
 * Turning one image's bytes into a collection item: the sha256 of the bytes (duplicates are found by it),
 * the model input in the collection's format, and a thumbnail of the original. An original that already
 * fits inside the thumbnail size is kept as its own thumbnail (no second decode and encode).
 */
import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { type DecodeOptions, decodeImage, type InputFormat } from '../image/preprocess.js';
import { sniffImage } from '../image/sniff.js';
import type { NewItem } from './catalogue.js';

/** Largest side of a stored thumbnail, in px: the page's biggest view of an item. */
export const THUMB_PX = 256;

/** Where an image comes from. */
export interface ImageOrigin {
  /** Path relative to the folder it was added from, or the upload's file name. */
  readonly source: string;
  /** The folder it was added from (absolute), or null for uploads. */
  readonly root: string | null;
  readonly labelName: string | null;
  readonly mtimeMs: number | null;
}

/** The content type of accepted image bytes. */
const CONTENT_TYPES = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' } as const;

/** sha256 of `bytes`, hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * The model input of `bytes` in the collection's format (side x side x channels bytes). Throws the decode
 * errors of preprocess (NOT_AN_IMAGE, IMAGE_TOO_COSTLY, ...) naming the image as `options.what`.
 */
export function decodeInput(
  bytes: Uint8Array,
  meta: InputFormat,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  return decodeImage(bytes, meta, options);
}

/** A thumbnail of the original: itself when it fits inside THUMB_PX, else a WebP fitted inside it. */
async function thumbnail(bytes: Uint8Array): Promise<{ thumb: Uint8Array; thumbType: string }> {
  const sniffed = sniffImage(bytes);
  const image = sharp(bytes, { pages: 1, failOn: 'error' });
  const { width = 0, height = 0 } = await image.metadata();
  if (sniffed.kind === 'accepted' && sniffed.format !== 'gif' && width <= THUMB_PX && height <= THUMB_PX)
    return { thumb: bytes, thumbType: CONTENT_TYPES[sniffed.format] };
  const thumb = await image
    .rotate()
    .resize(THUMB_PX, THUMB_PX, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 80 })
    .toBuffer();
  return { thumb: new Uint8Array(thumb), thumbType: 'image/webp' };
}

/** Decodes `bytes` into a new item (input, thumbnail, hash); throws the decode errors naming `what`. */
export async function ingestImage(
  bytes: Uint8Array,
  meta: InputFormat,
  origin: ImageOrigin,
  options: DecodeOptions = {},
): Promise<NewItem> {
  const input = await decodeInput(bytes, meta, options);
  const { thumb, thumbType } = await thumbnail(bytes);
  return {
    source: origin.source,
    root: origin.root,
    labelName: origin.labelName,
    bytes: bytes.byteLength,
    sha256: sha256Hex(bytes),
    mtimeMs: origin.mtimeMs,
    input,
    thumb,
    thumbType,
  };
}
