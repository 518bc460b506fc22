/**
 * Turns image bytes of any format, size or colour into the model's input with sharp: a square image of
 * the collection's InputFormat, grayscale light-on-dark as in MNIST-style data or colour. PNG encoding is
 * in png.ts.
 */
import sharp from 'sharp';
import { type AesearchError, createError, isAesearchError } from '../errors.js';
import { DEFAULT_DECODE_BUDGET, type DecodeBudget, describeHeader, planDecode } from './decode-budget.js';
import type { DecodeSlots } from './decode-slots.js';
import { readHeader } from './header.js';
import { type AcceptedFormat, sniffImage } from './sniff.js';

// libvips's operation cache keeps recent decodes' pixel buffers: after a loop of costly decodes (100+ MB
// each, held whole) the RSS stayed 160 MB higher with it than without (measured), and an upload is never
// decoded twice.
sharp.cache(false);

/** How images become model input: side x side pixels of `channels` bytes, RGB interleaved for colour. */
export interface InputFormat {
  /** Side of the square model input, in pixels. */
  readonly side: number;
  readonly channels: 1 | 3;
  /** Invert an image whose border is light, so objects are light on dark as in MNIST-style data (grayscale only). */
  readonly invertLightBorder: boolean;
}

/** Fashion-MNIST and MNIST: 28 px grayscale, light objects on dark. */
export const IDX_FORMAT: InputFormat = Object.freeze({ side: 28, channels: 1, invertLightBorder: true });

/** Side of a folder collection's model input unless --image-size says otherwise, in pixels. */
export const DEFAULT_FOLDER_SIDE = 32;

/** Smallest and largest --image-size, in pixels. */
export const IMAGE_SIDE_RANGE_PX = Object.freeze({ min: 8, max: 256 });

/** A folder collection's input: colour unless `gray`, which also inverts light borders as the IDX data needs. */
export function folderFormat(side: number, gray: boolean): InputFormat {
  return Object.freeze({ side, channels: gray ? 1 : 3, invertLightBorder: gray });
}

/** The bytes of one image in `format`: side x side x channels. */
export function imageBytes(format: Pick<InputFormat, 'side' | 'channels'>): number {
  return format.side * format.side * format.channels;
}

/** How uploads and folder images are turned into model input, in words; recorded in the index manifest. */
export function describePreprocessing(format: InputFormat) {
  return Object.freeze({
    side: format.side,
    channels: format.channels,
    scale: 'pixel / 255, in [0, 1]',
    steps: [
      'first frame only; alpha flattened onto white',
      format.channels === 1 ? 'grayscale' : 'sRGB colour, channels interleaved (RGB)',
      'resized to fit inside side x side (lanczos3), aspect kept, centred on black',
      ...(format.invertLightBorder
        ? ['inverted when the border is light, so objects are light on dark as in the dataset']
        : []),
    ],
  });
}

/** Options for `decodeImage`. */
export interface DecodeOptions {
  /** Names the input in errors, e.g. `field "image"` or a file path. */
  readonly what?: string;
  /** The limits checked against the header before decoding (default DEFAULT_DECODE_BUDGET). */
  readonly budget?: DecodeBudget;
  /** The server's decode slots; without them the decode runs at once (batch jobs bound their own). */
  readonly slots?: DecodeSlots;
}

const LIGHT_BORDER = 127;

/** Mean of the border pixels' bytes (all channels), 0-255. */
function borderMean(px: Uint8Array, w: number, h: number, channels: number): number {
  let sum = 0;
  let n = 0;
  const add = (x: number, y: number) => {
    for (let c = 0; c < channels; c++) sum += px[(y * w + x) * channels + c] ?? 0;
    n += channels;
  };
  for (let x = 0; x < w; x++) {
    add(x, 0);
    add(x, h - 1);
  }
  for (let y = 1; y < h - 1; y++) {
    add(0, y);
    add(w - 1, y);
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Places a w x h image of `format.channels` interleaved bytes in the centre of a side x side canvas of
 * zeros, inverting it first when the format asks and its border is light. Pure; exported for tests.
 */
export function centreOnDark(px: Uint8Array, w: number, h: number, format: InputFormat): Uint8Array {
  const { side, channels } = format;
  const invert = format.invertLightBorder && borderMean(px, w, h, channels) > LIGHT_BORDER;
  const out = new Uint8Array(side * side * channels);
  const left = Math.floor((side - w) / 2);
  const top = Math.floor((side - h) / 2);
  for (let y = 0; y < h; y++) {
    const row = px.subarray(y * w * channels, (y + 1) * w * channels);
    const at = ((top + y) * side + left) * channels;
    if (!invert) out.set(row, at);
    else for (let i = 0; i < row.length; i++) out[at + i] = 255 - (row[i] ?? 0);
  }
  return out;
}

/**
 * Decodes image bytes (PNG, JPEG, GIF or WebP, recognised by their signature) to `format`: side x side
 * x channels bytes, 0-255, RGB interleaved for colour. Reads the header first and checks it against the budget, then decodes in one of the
 * slots (when given) within the budget's timeout. Throws UNSUPPORTED_IMAGE_TYPE for other formats (SVG,
 * TIFF, AVIF, PDF, ...), NOT_AN_IMAGE when the bytes are no image or a damaged one, IMAGE_TOO_LARGE or
 * IMAGE_TOO_COSTLY from the header, DECODE_BUSY when the costly slots are full, DECODE_TIMEOUT.
 */
export async function decodeImage(
  bytes: Uint8Array,
  format: InputFormat,
  options: DecodeOptions = {},
): Promise<Uint8Array> {
  const what = options.what ?? 'the upload';
  const budget = options.budget ?? DEFAULT_DECODE_BUDGET;
  const header = await readHeader(bytes, acceptedFormat(bytes, what)).catch((err: unknown) => {
    throw decodeError(err, what);
  });
  const cost = planDecode(header, budget, what);
  const image = describeHeader(header);
  const decode = () => toPixels(bytes, format, header.width * header.height, budget.timeoutS);
  try {
    return await (options.slots ? options.slots.run(cost.costly, image, decode) : decode());
  } catch (err) {
    if (err instanceof Error && /^timeout:/.test(err.message))
      throw createError('DECODE_TIMEOUT', { what, image, seconds: budget.timeoutS });
    if (isAesearchError(err)) throw err;
    throw decodeError(err, what);
  }
}

/** The decode itself; `pixels` is what the header declared, so sharp refuses a file that grows past it. */
async function toPixels(
  bytes: Uint8Array,
  format: InputFormat,
  pixels: number,
  timeoutS: number,
): Promise<Uint8Array> {
  const flat = sharp(bytes, { limitInputPixels: Math.max(1, pixels), pages: 1, failOn: 'error' })
    .timeout({ seconds: timeoutS })
    .flatten({ background: '#ffffff' });
  const { data, info } = await (format.channels === 1 ? flat.grayscale() : flat)
    // Shrink-on-load lets a baseline JPEG decode at 1/8 scale: what keeps 50 megapixels cheap.
    .resize(format.side, format.side, { fit: 'inside', kernel: 'lanczos3', fastShrinkOnLoad: true })
    .toColourspace(format.channels === 1 ? 'b-w' : 'srgb')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const px =
    info.channels === format.channels
      ? new Uint8Array(data)
      : firstChannels(data, info.channels, format.channels);
  return centreOnDark(px, info.width, info.height, format);
}

function acceptedFormat(bytes: Uint8Array, what: string): AcceptedFormat {
  const sniffed = sniffImage(bytes);
  if (sniffed.kind === 'refused') throw createError('UNSUPPORTED_IMAGE_TYPE', { what, got: sniffed.name });
  if (sniffed.kind === 'unknown')
    throw createError('NOT_AN_IMAGE', {
      what,
      reason: `it starts like ${sniffed.looksLike}, not like any of these formats`,
    });
  return sniffed.format;
}

/** The first `keep` of each pixel's `channels` bytes (sharp may add an alpha or keep 3 equal bands). */
function firstChannels(data: Buffer, channels: number, keep: number): Uint8Array {
  const pixels = data.length / channels;
  const out = new Uint8Array(pixels * keep);
  for (let i = 0; i < pixels; i++)
    for (let c = 0; c < keep; c++) out[i * keep + c] = data[i * channels + Math.min(c, channels - 1)] ?? 0;
  return out;
}

/** The error for a failed header read or decode: NOT_AN_IMAGE, saying when the file is truncated. */
function decodeError(err: unknown, what: string): AesearchError {
  const message = err instanceof Error ? err.message : String(err);
  const first = message.split('\n')[0] ?? message;
  const reason = /premature end|truncat|read error|end of (stream|file|data)|unexpected end/i.test(first)
    ? `it is truncated or damaged (${first})`
    : first;
  return createError('NOT_AN_IMAGE', { what, reason });
}

/** Scales 0-255 pixel bytes to [0, 1] floats, the models' input. */
export function toUnitFloat(px: Uint8Array, out = new Float32Array(px.length)): Float32Array {
  for (let i = 0; i < px.length; i++) out[i] = (px[i] ?? 0) / 255;
  return out;
}
