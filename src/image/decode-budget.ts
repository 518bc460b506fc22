/**
 * What decoding an image will cost, from its header alone, and the budget a decode must fit. The memory
 * a decoder holds depends on the format and how the file was saved, not on the pixel count alone: a
 * baseline JPEG shrinks while it decodes (libjpeg's scaled IDCT) and a non-interlaced PNG streams row by
 * row, while an interlaced PNG, a progressive JPEG's coefficients, a GIF frame and a lossless or animated
 * WebP are held whole. Figures were measured with sharp 0.35 (libvips 8.18): peak RSS of one decode to
 * 28x28 in a fresh process, and its time on noisy content. Pure; no sharp.
 */
import { createError } from '../errors.js';
import type { AcceptedFormat } from './sniff.js';

/** What an image's header declares. */
export interface ImageHeader {
  readonly format: AcceptedFormat;
  readonly width: number;
  readonly height: number;
  /** Channels as decoded (a palette PNG is expanded to 3 or 4). */
  readonly channels: number;
  /** Bits per sample; 1, 2 and 4 decode as 8. */
  readonly bitsPerSample: number;
  /** An Adam7-interlaced PNG or a progressive JPEG. */
  readonly interlaced: boolean;
  /** JPEG only, as sharp reports it: `4:2:0`, `4:4:4`, `4:2:0:4` (CMYK), ... */
  readonly chromaSubsampling?: string;
  /** WebP only: how the image data is stored (from its RIFF chunks). */
  readonly webp?: WebpKind;
}

/** How a WebP stores its first image. */
export type WebpKind = 'lossy' | 'lossy with alpha' | 'lossless' | 'animated';

/** What a decode is estimated to cost, in bytes. */
export interface DecodeCost {
  /** Memory the decoder holds at its peak. */
  readonly memoryBytes: number;
  /** Pixel data the decoder produces or walks through: its CPU time is about proportional to it. */
  readonly workBytes: number;
  /** Runs in the costly lane (see DecodeSlots): over COSTLY_DECODE_BYTES of memory or work. */
  readonly costly: boolean;
}

/** The limits every decode must fit, checked against the header before decoding. */
export interface DecodeBudget {
  /** Most pixels an image may declare, whatever its format (decompression bombs). */
  readonly maxPixels: number;
  /** Most decoder memory one decode may need. */
  readonly maxMemoryBytes: number;
  /** Most pixel data one decode may walk through (its CPU time). */
  readonly maxWorkBytes: number;
  /**
   * sharp's timeout for one decode, in whole seconds. libvips checks it between output tiles, so it cuts
   * decodes with many tiles; a 28x28 output is one tile, and there the two byte budgets bound the time.
   */
  readonly timeoutS: number;
}

const MIB = 1024 * 1024;

/** Decodes estimated above this (memory or work) run in the costly lane: about 0.5 s of one core. */
export const COSTLY_DECODE_BYTES = 64 * MIB;

/**
 * The default budget. Passes: a 100-megapixel baseline JPEG, a 50-megapixel progressive one, a 16-bit RGB
 * PNG of 40 megapixels, an 8-bit interlaced PNG of 6,000 x 6,000 (about 2 s of one core). Refused: a 16-bit
 * interlaced PNG of 6,000 x 6,000 (~412 MB of pixel data to walk, 4-5 s).
 */
export const DEFAULT_DECODE_BUDGET: DecodeBudget = Object.freeze({
  maxPixels: 100_000_000,
  maxMemoryBytes: 256 * MIB,
  maxWorkBytes: 256 * MIB,
  timeoutS: 10,
});

/**
 * Rows a streaming decode holds (libvips's shrink keeps a band of input rows in flight): 24 MB for a
 * 16-bit RGB PNG 6,000 px wide was measured, 36 MB estimated.
 */
const STREAM_ROWS = 1024;

/** Samples per pixel of a JPEG's coefficients: chroma planes are smaller when subsampled. */
function jpegComponents(header: ImageHeader): number {
  const planes: Record<string, number> = { '4:2:0': 1.5, '4:2:2': 2, '4:4:0': 2, '4:4:4': 3 };
  const sub = header.chromaSubsampling ?? '';
  if (header.channels === 1) return 1;
  if (header.channels === 4) return sub.startsWith('4:4:4') ? 4 : 2.5;
  return planes[sub] ?? 3;
}

function streamed(rowBytes: number, height: number): number {
  return rowBytes * Math.min(height, STREAM_ROWS);
}

function estimate(h: ImageHeader): { memoryBytes: number; workBytes: number } {
  const pixels = h.width * h.height;
  switch (h.format) {
    case 'png': {
      const pixelBytes = h.channels * (h.bitsPerSample > 8 ? 2 : 1);
      const whole = pixels * pixelBytes;
      // Adam7 is read whole, and re-walked per pass: about twice the time of a streamed PNG (measured).
      return h.interlaced
        ? { memoryBytes: whole, workBytes: 2 * whole }
        : { memoryBytes: streamed(h.width * pixelBytes, h.height), workBytes: whole };
    }
    case 'jpeg': {
      const components = jpegComponents(h);
      // A progressive JPEG keeps every 16-bit DCT coefficient until its last scan.
      if (h.interlaced) return { memoryBytes: pixels * components * 2, workBytes: pixels * components * 2 };
      // Baseline decodes at 1/8 scale (shrink-on-load): entropy decoding still reads every block.
      return {
        memoryBytes: streamed(Math.ceil(h.width / 8) * h.channels, Math.ceil(h.height / 8)),
        workBytes: (pixels * components) / 2,
      };
    }
    case 'gif':
      // The frame is decoded whole, as RGBA.
      return { memoryBytes: pixels * 4, workBytes: pixels * 4 };
    case 'webp': {
      if (h.webp === 'lossless' || h.webp === 'animated')
        return { memoryBytes: pixels * 4, workBytes: pixels * 4 };
      const alpha = h.webp === 'lossy with alpha' ? pixels : 0;
      return { memoryBytes: streamed(h.width * 4, h.height) + alpha, workBytes: pixels * 1.5 + alpha };
    }
  }
}

/** Estimates what decoding an image with `header` costs. */
export function decodeCost(header: ImageHeader): DecodeCost {
  const { memoryBytes, workBytes } = estimate(header);
  return {
    memoryBytes,
    workBytes,
    costly: memoryBytes > COSTLY_DECODE_BYTES || workBytes > COSTLY_DECODE_BYTES,
  };
}

/** `a 16-bit interlaced PNG of 6,000 x 6,000 pixels`, `a progressive JPEG of ...`. */
export function describeHeader(h: ImageHeader): string {
  const size = `${h.width.toLocaleString('en')} x ${h.height.toLocaleString('en')} pixels`;
  switch (h.format) {
    case 'png':
      return `a ${h.bitsPerSample > 8 ? '16-bit ' : ''}${h.interlaced ? 'interlaced ' : ''}PNG of ${size}`;
    case 'jpeg':
      return `a ${h.interlaced ? 'progressive' : 'baseline'} JPEG of ${size}`;
    case 'gif':
      return `a GIF of ${size}`;
    case 'webp':
      return `${h.webp === 'animated' ? 'an animated' : `a ${h.webp ?? 'lossy'}`} WebP of ${size}`;
  }
}

/** Megabytes for messages: `~216 MB`. */
function megabytes(bytes: number): string {
  return `${Math.ceil(bytes / MIB).toLocaleString('en')} MB`;
}

function fits(cost: { memoryBytes: number; workBytes: number }, budget: DecodeBudget): boolean {
  return cost.memoryBytes <= budget.maxMemoryBytes && cost.workBytes <= budget.maxWorkBytes;
}

/** The same image saved the cheap way for its format, when that differs: 8-bit, non-interlaced, a JPEG. */
function cheaperSaving(h: ImageHeader): { how: string; header: ImageHeader } | undefined {
  if (h.format === 'png' && (h.interlaced || h.bitsPerSample > 8)) {
    const how = [h.bitsPerSample > 8 ? '8-bit' : '', h.interlaced ? 'non-interlaced' : ''].filter(Boolean);
    return {
      how: `save it as ${h.bitsPerSample > 8 ? 'an' : 'a'} ${how.join(', ')} PNG`,
      header: { ...h, bitsPerSample: 8, interlaced: false },
    };
  }
  if (h.format === 'jpeg' && h.interlaced)
    return { how: 'save it as a baseline (non-progressive) JPEG', header: { ...h, interlaced: false } };
  if (h.format !== 'jpeg' && h.format !== 'png')
    return { how: 'save it as a JPEG', header: { ...h, format: 'jpeg', channels: 3, interlaced: false } };
  return undefined;
}

/** The largest size, same aspect, whose cost fits `budget`. */
function fittingSize(h: ImageHeader, cost: DecodeCost, budget: DecodeBudget): string {
  const pixels = h.width * h.height;
  const share = Math.min(
    budget.maxMemoryBytes / cost.memoryBytes,
    budget.maxWorkBytes / cost.workBytes,
    budget.maxPixels / pixels,
  );
  // Most costs grow with the pixel count, a streamed one only with the width: shrink until it fits.
  let scale = Math.sqrt(share);
  const scaled = () => ({
    ...h,
    width: Math.max(1, Math.floor(h.width * scale)),
    height: Math.max(1, Math.floor(h.height * scale)),
  });
  while (scale > 0.01 && !fits(decodeCost(scaled()), budget)) scale *= 0.95;
  const { width, height } = scaled();
  return `${width.toLocaleString('en')} x ${height.toLocaleString('en')} pixels`;
}

/** The way out of a refusal: a cheaper saving of the same image when one fits, or a smaller size. */
function advice(h: ImageHeader, cost: DecodeCost, budget: DecodeBudget): string {
  const smaller = `send it at most ${fittingSize(h, cost, budget)}`;
  const cheaper = cheaperSaving(h);
  if (cheaper && h.width * h.height <= budget.maxPixels && fits(decodeCost(cheaper.header), budget))
    return `${cheaper.how}, or ${smaller}`;
  return smaller;
}

/**
 * Checks `header` against `budget`, before anything is decoded, and returns the decode's cost. Throws
 * IMAGE_TOO_LARGE past `maxPixels`, and IMAGE_TOO_COSTLY naming what is too costly, the limit, and what
 * would fit. `what` names the input in errors.
 */
export function planDecode(header: ImageHeader, budget: DecodeBudget, what: string): DecodeCost {
  const pixels = header.width * header.height;
  const size = `${header.width.toLocaleString('en')} x ${header.height.toLocaleString('en')} pixels`;
  if (pixels > budget.maxPixels)
    throw createError('IMAGE_TOO_LARGE', {
      what,
      limit: budget.maxPixels.toLocaleString('en'),
      declared: size,
    });
  const cost = decodeCost(header);
  if (fits(cost, budget)) return cost;
  const [need, limit] =
    cost.memoryBytes > budget.maxMemoryBytes
      ? [`needs ~${megabytes(cost.memoryBytes)} of decoder memory`, megabytes(budget.maxMemoryBytes)]
      : [`means decoding ~${megabytes(cost.workBytes)} of pixel data`, megabytes(budget.maxWorkBytes)];
  throw createError('IMAGE_TOO_COSTLY', {
    what,
    image: describeHeader(header),
    need,
    limit,
    advice: advice(header, cost, budget),
  });
}
