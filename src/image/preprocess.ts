/**
 * Turns image bytes of any format, size or colour into the model's input with sharp: a square grayscale
 * image, light object on a dark background (as in MNIST-style data). PNG encoding is in png.ts.
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

/** Side of the square images the models take, in pixels. */
export const IMAGE_SIDE_PX = 28;

/** How uploads and folder images are turned into model input; recorded in the index manifest. */
export const PREPROCESSING = Object.freeze({
  side: IMAGE_SIDE_PX,
  channels: 1,
  scale: 'pixel / 255, in [0, 1]',
  steps: [
    'first frame only; alpha flattened onto white',
    'grayscale',
    'resized to fit inside side x side (lanczos3), aspect kept, centred on the background',
    'inverted when the border is light, so objects are light on dark as in the dataset',
  ],
});

/** Options for `decodeToGray`. */
export interface DecodeOptions {
  readonly side?: number;
  /** Names the input in errors, e.g. `field "image"` or a file path. */
  readonly what?: string;
  /** The limits checked against the header before decoding (default DEFAULT_DECODE_BUDGET). */
  readonly budget?: DecodeBudget;
  /** The server's decode slots; without them the decode runs at once (batch jobs bound their own). */
  readonly slots?: DecodeSlots;
}

const LIGHT_BORDER = 127;

function borderMean(px: Uint8Array, w: number, h: number): number {
  let sum = 0;
  let n = 0;
  for (let x = 0; x < w; x++) {
    sum += (px[x] ?? 0) + (px[(h - 1) * w + x] ?? 0);
    n += 2;
  }
  for (let y = 1; y < h - 1; y++) {
    sum += (px[y * w] ?? 0) + (px[y * w + w - 1] ?? 0);
    n += 2;
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Places a w x h grayscale image in the centre of a side x side canvas of zeros, inverting it first
 * when its border is light. Pure; exported for tests.
 */
export function centreOnDark(px: Uint8Array, w: number, h: number, side: number): Uint8Array {
  const invert = borderMean(px, w, h) > LIGHT_BORDER;
  const out = new Uint8Array(side * side);
  const left = Math.floor((side - w) / 2);
  const top = Math.floor((side - h) / 2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const v = px[y * w + x] ?? 0;
      out[(top + y) * side + left + x] = invert ? 255 - v : v;
    }
  }
  return out;
}

/**
 * Decodes image bytes (PNG, JPEG, GIF or WebP, recognised by their signature) to side x side grayscale
 * pixels, 0-255. Reads the header first and checks it against the budget, then decodes in one of the
 * slots (when given) within the budget's timeout. Throws UNSUPPORTED_IMAGE_TYPE for other formats (SVG,
 * TIFF, AVIF, PDF, ...), NOT_AN_IMAGE when the bytes are no image or a damaged one, IMAGE_TOO_LARGE or
 * IMAGE_TOO_COSTLY from the header, DECODE_BUSY when the costly slots are full, DECODE_TIMEOUT.
 */
export async function decodeToGray(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Uint8Array> {
  const side = options.side ?? IMAGE_SIDE_PX;
  const what = options.what ?? 'the upload';
  const budget = options.budget ?? DEFAULT_DECODE_BUDGET;
  const format = acceptedFormat(bytes, what);
  const header = await readHeader(bytes, format).catch((err: unknown) => {
    throw decodeError(err, what);
  });
  const cost = planDecode(header, budget, what);
  const image = describeHeader(header);
  const decode = () => toGray(bytes, side, header.width * header.height, budget.timeoutS);
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
async function toGray(
  bytes: Uint8Array,
  side: number,
  pixels: number,
  timeoutS: number,
): Promise<Uint8Array> {
  const { data, info } = await sharp(bytes, {
    limitInputPixels: Math.max(1, pixels),
    pages: 1,
    failOn: 'error',
  })
    .timeout({ seconds: timeoutS })
    .flatten({ background: '#ffffff' })
    .grayscale()
    // Shrink-on-load lets a baseline JPEG decode at 1/8 scale: what keeps 50 megapixels cheap.
    .resize(side, side, { fit: 'inside', kernel: 'lanczos3', fastShrinkOnLoad: true })
    .toColourspace('b-w')
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  const px = info.channels === 1 ? new Uint8Array(data) : firstChannel(data, info.channels);
  return centreOnDark(px, info.width, info.height, side);
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

function firstChannel(data: Buffer, channels: number): Uint8Array {
  const out = new Uint8Array(data.length / channels);
  for (let i = 0; i < out.length; i++) out[i] = data[i * channels] ?? 0;
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

/** Scales 0-255 grayscale pixels to [0, 1] floats, the models' input. */
export function toUnitFloat(gray: Uint8Array, out = new Float32Array(gray.length)): Float32Array {
  for (let i = 0; i < gray.length; i++) out[i] = (gray[i] ?? 0) / 255;
  return out;
}
