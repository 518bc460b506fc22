/**
 * Query images re-sent as uploads, for the eval's robustness runs: each image (grayscale or colour) is
 * encoded as a file (lossless PNG, or upscaled to 224x224 and saved as JPEG) and decoded back through
 * `decodeImage`, exactly the preprocessing an upload gets.
 */
import sharp from 'sharp';
import { mapWithConcurrency } from '../util/pool.js';
import { encodePng } from './png.js';
import { decodeImage, type InputFormat, imageBytes } from './preprocess.js';

/** How a perturbed query is sent: `png` (lossless, same size) or `jpeg224` (upscaled, lossy). */
export type UploadFormat = 'png' | 'jpeg224';

/** Side of the upscaled JPEG, in pixels (a typical CNN input size, and a phone-photo-like upscale). */
export const JPEG_SIDE_PX = 224;

/** JPEG quality of the `jpeg224` upload (libjpeg's common default). */
export const JPEG_QUALITY = 75;

/** Images in flight at once; sharp works on libuv's thread pool, so this keeps both cores busy. */
const CONCURRENCY = 8;

/**
 * Encodes an image of `format` as an RGB JPEG of JPEG_SIDE_PX x JPEG_SIDE_PX (lanczos3 upscale,
 * quality JPEG_QUALITY), like a photo of the item saved by a phone or browser.
 */
export async function encodeJpeg224(
  px: Uint8Array,
  format: Pick<InputFormat, 'side' | 'channels'>,
): Promise<Buffer> {
  const { side, channels } = format;
  return sharp(Buffer.from(px.buffer, px.byteOffset, px.byteLength), {
    raw: { width: side, height: side, channels },
  })
    .resize(JPEG_SIDE_PX, JPEG_SIDE_PX, { kernel: 'lanczos3' })
    .toColourspace('srgb')
    .jpeg({ quality: JPEG_QUALITY })
    .toBuffer();
}

/** Encodes one image as an upload file in `format`. */
async function encodeUpload(px: Uint8Array, input: InputFormat, format: UploadFormat): Promise<Buffer> {
  return format === 'png' ? encodePng(px, input.side, input.side, input.channels) : encodeJpeg224(px, input);
}

/**
 * Sends each of `count` images of `input` through `format` and back through `decodeImage`; returns
 * the decoded images, in order, as one count x side x side x channels array. `onProgress` gets images done.
 * Throws NOT_AN_IMAGE if sharp cannot read its own output (it should always can).
 */
export async function reupload(
  images: Uint8Array,
  count: number,
  input: InputFormat,
  format: UploadFormat,
  onProgress?: (done: number) => void,
): Promise<Uint8Array> {
  const area = imageBytes(input);
  const out = new Uint8Array(count * area);
  let done = 0;
  const indices = Array.from({ length: count }, (_, i) => i);
  await mapWithConcurrency(indices, CONCURRENCY, async (i) => {
    const file = await encodeUpload(images.subarray(i * area, (i + 1) * area), input, format);
    out.set(await decodeImage(file, input, { what: `query ${i} as ${format}` }), i * area);
    onProgress?.(++done);
  });
  return out;
}
