/**
 * Query images re-sent as uploads, for the eval's robustness runs: each grayscale image is encoded as
 * a file (lossless PNG, or upscaled to 224x224 and saved as JPEG) and decoded back through
 * `decodeToGray`, exactly the preprocessing an upload gets.
 */
import sharp from 'sharp';
import { mapWithConcurrency } from '../util/pool.js';
import { encodePng } from './png.js';
import { decodeToGray } from './preprocess.js';

/** How a perturbed query is sent: `png` (lossless, same size) or `jpeg224` (upscaled, lossy). */
export type UploadFormat = 'png' | 'jpeg224';

/** Side of the upscaled JPEG, in pixels (a typical CNN input size, and a phone-photo-like upscale). */
export const JPEG_SIDE_PX = 224;

/** JPEG quality of the `jpeg224` upload (libjpeg's common default). */
export const JPEG_QUALITY = 75;

/** Images in flight at once; sharp works on libuv's thread pool, so this keeps both cores busy. */
const CONCURRENCY = 8;

/**
 * Encodes a side x side grayscale image as an RGB JPEG of JPEG_SIDE_PX x JPEG_SIDE_PX (lanczos3
 * upscale, quality JPEG_QUALITY), like a photo of the item saved by a phone or browser.
 */
export async function encodeJpeg224(gray: Uint8Array, side: number): Promise<Buffer> {
  return sharp(Buffer.from(gray.buffer, gray.byteOffset, gray.byteLength), {
    raw: { width: side, height: side, channels: 1 },
  })
    .resize(JPEG_SIDE_PX, JPEG_SIDE_PX, { kernel: 'lanczos3' })
    .toColourspace('srgb')
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer();
}

/** Encodes one image as an upload file in `format`. */
async function encodeUpload(gray: Uint8Array, side: number, format: UploadFormat): Promise<Buffer> {
  return format === 'png' ? encodePng(gray, side, side, 1) : encodeJpeg224(gray, side);
}

/**
 * Sends each of `count` side x side images through `format` and back through `decodeToGray`;
 * returns the decoded images, in order, as one count x side x side array. `onProgress` gets images done.
 * Throws NOT_AN_IMAGE if sharp cannot read its own output (it should always can).
 */
export async function reupload(
  images: Uint8Array,
  count: number,
  side: number,
  format: UploadFormat,
  onProgress?: (done: number) => void,
): Promise<Uint8Array> {
  const area = side * side;
  const out = new Uint8Array(count * area);
  let done = 0;
  const indices = Array.from({ length: count }, (_, i) => i);
  await mapWithConcurrency(indices, CONCURRENCY, async (i) => {
    const file = await encodeUpload(images.subarray(i * area, (i + 1) * area), side, format);
    out.set(await decodeToGray(file, { side, what: `query ${i} as ${format}` }), i * area);
    onProgress?.(++done);
  });
  return out;
}
