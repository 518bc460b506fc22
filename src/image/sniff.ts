/**
 * Recognises an image format by its first bytes, so only the formats aesearch accepts reach a decoder.
 * sharp would read many more (SVG through librsvg, TIFF, AVIF, PDF with some builds); SVG in particular
 * is a document that can reference other files and declare any size, so it is refused here rather than
 * rasterised. Pure; no sharp.
 */

/** Formats that are decoded. */
export const ACCEPTED_FORMATS = ['png', 'jpeg', 'gif', 'webp'] as const;
export type AcceptedFormat = (typeof ACCEPTED_FORMATS)[number];

/** What the bytes are: an accepted format, a recognised refused one (named for people), or unknown. */
export type Sniffed =
  | { readonly kind: 'accepted'; readonly format: AcceptedFormat }
  | { readonly kind: 'refused'; readonly name: string }
  | { readonly kind: 'unknown'; readonly looksLike: string };

function startsWith(bytes: Uint8Array, signature: readonly number[], at = 0): boolean {
  return signature.every((b, i) => bytes[at + i] === b);
}

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return Buffer.from(bytes.subarray(from, to)).toString('latin1');
}

const ACCEPTED: readonly [AcceptedFormat, (b: Uint8Array) => boolean][] = [
  ['png', (b) => startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])],
  ['jpeg', (b) => startsWith(b, [0xff, 0xd8, 0xff])],
  ['gif', (b) => ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a'],
  ['webp', (b) => ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP'],
];

const REFUSED: readonly [string, (b: Uint8Array, head: string) => boolean][] = [
  [
    'an SVG document',
    (_b, head) => /^(\ufeff|\s)*(<\?xml|<!--|<!doctype svg|<svg)/i.test(head) && /<svg/i.test(head),
  ],
  ['a TIFF image', (b) => startsWith(b, [0x49, 0x49, 0x2a, 0x00]) || startsWith(b, [0x4d, 0x4d, 0x00, 0x2a])],
  [
    'an AVIF or HEIF image',
    (b) => ascii(b, 4, 8) === 'ftyp' && /^(avi|hei|hev|mif|msf)/.test(ascii(b, 8, 12)),
  ],
  ['a PDF document', (b) => ascii(b, 0, 5) === '%PDF-'],
  ['a BMP image', (b) => ascii(b, 0, 2) === 'BM' && b.length > 26 && b[14] !== undefined && b[14] >= 12],
];

function looksLike(bytes: Uint8Array): string {
  const head = bytes.subarray(0, 64);
  const printable = head.every((b) => b === 9 || b === 10 || b === 13 || (b >= 32 && b < 127) || b >= 0xc2);
  if (printable) {
    const text = Buffer.from(head).toString('utf8').replace(/\s+/g, ' ').trim();
    return `text ("${text.length > 24 ? `${text.slice(0, 24)}...` : text}")`;
  }
  const hex = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `bytes starting ${hex}`;
}

/** Sniffs `bytes` by their signature. */
export function sniffImage(bytes: Uint8Array): Sniffed {
  for (const [format, test] of ACCEPTED) if (test(bytes)) return { kind: 'accepted', format };
  const head = Buffer.from(bytes.subarray(0, 1024)).toString('utf8');
  for (const [name, test] of REFUSED) if (test(bytes, head)) return { kind: 'refused', name };
  return { kind: 'unknown', looksLike: looksLike(bytes) };
}
