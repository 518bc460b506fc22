/**
 * Reads what an image's header declares (format, size, channels, bit depth, interlacing), without
 * decoding its pixels: sharp's metadata, plus the WebP chunk that says lossy, lossless or animated.
 */
import sharp from 'sharp';
import type { ImageHeader, WebpKind } from './decode-budget.js';
import type { AcceptedFormat } from './sniff.js';

function fourcc(bytes: Uint8Array, at: number): string {
  return Buffer.from(bytes.subarray(at, at + 4)).toString('latin1');
}

/** How a WebP (RIFF) file stores its first image, from its chunks; undefined when none is found. Pure. */
export function webpKind(bytes: Uint8Array): WebpKind | undefined {
  let alpha = false;
  // Chunks: a four-letter code, a little-endian size, the data padded to even length.
  for (let at = 12, n = 0; at + 8 <= bytes.length && n < 64; n++) {
    const code = fourcc(bytes, at);
    if (code === 'VP8L') return 'lossless';
    if (code === 'VP8 ') return alpha ? 'lossy with alpha' : 'lossy';
    if (code === 'ANIM' || code === 'ANMF') return 'animated';
    if (code === 'ALPH') alpha = true;
    const size = Buffer.from(bytes.subarray(at + 4, at + 8)).readUInt32LE(0);
    at += 8 + size + (size % 2);
  }
  return undefined;
}

/**
 * The header of `bytes`, an image of `format` (already sniffed). Throws sharp's error when the header
 * cannot be read; the caller names it.
 */
export async function readHeader(bytes: Uint8Array, format: AcceptedFormat): Promise<ImageHeader> {
  const meta = await sharp(bytes, { limitInputPixels: false, pages: 1 }).metadata();
  const bits = meta.bitsPerSample ?? (meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8);
  const header: ImageHeader = {
    format,
    width: meta.width,
    height: meta.pageHeight ?? meta.height,
    channels: meta.channels,
    bitsPerSample: Math.max(8, bits),
    interlaced: meta.isProgressive === true,
  };
  if (format === 'jpeg' && meta.chromaSubsampling)
    return { ...header, chromaSubsampling: meta.chromaSubsampling };
  if (format === 'webp') return { ...header, webp: webpKind(bytes) ?? 'lossless' };
  return header;
}
