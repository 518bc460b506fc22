/**
 * The edits of the copy-detection test (`aesearch eval --copies`): what people do to an image they
 * re-post. Each is a function from image bytes to new image bytes, with sharp; the random amounts come
 * from the `rng` it is given, so an edit repeats exactly for a given seed and item.
 */
import sharp, { type Sharp } from 'sharp';

/** The edits, in report order; `original` is the unedited control (the file re-encoded as PNG). */
export const COPY_EDITS = ['original', 'crop', 'rotate', 'colour', 'jpeg', 'downscale', 'overlay'] as const;
export type CopyEdit = (typeof COPY_EDITS)[number];

/** Largest share of each side a crop removes. */
export const MAX_CROP_SHARE = 0.1;
/** Largest rotation, in degrees either way. */
export const MAX_ROTATE_DEG = 10;
/** JPEG quality of the `jpeg` edit. */
export const COPY_JPEG_QUALITY = 30;
/** The `downscale` edit divides each side by this. */
export const DOWNSCALE_FACTOR = 2;
/** Height of the caption strip, as a share of the image height. */
export const CAPTION_SHARE = 0.15;

/** What each edit does, in words (the report's protocol). */
export const COPY_EDIT_PROTOCOL: Readonly<Record<CopyEdit, string>> = Object.freeze({
  original: 'the original file re-encoded as PNG (control)',
  crop: `a window keeping ${100 - 100 * MAX_CROP_SHARE}-97% of each side, at a random place`,
  rotate: `rotated 2-${MAX_ROTATE_DEG} degrees either way about the centre, same size, corners filled with the border colour`,
  colour: 'brightness x0.75-1.25, saturation x0.6-1.4, hue turned up to 25 degrees either way',
  jpeg: `saved as JPEG quality ${COPY_JPEG_QUALITY}`,
  downscale: `each side divided by ${DOWNSCALE_FACTOR} (lanczos3)`,
  overlay: `a dark caption strip of ${100 * CAPTION_SHARE}% of the height, with light word-like blocks, at the top or bottom`,
});

/** An edit: image bytes in, image bytes out (PNG unless the edit is JPEG). */
export type EditFn = (bytes: Uint8Array, rng: () => number) => Promise<Buffer>;

/** A uniform draw in [low, high). */
function between(rng: () => number, low: number, high: number): number {
  return low + (high - low) * rng();
}

/** The first frame, as the upload preprocessing reads it (no EXIF turn: the preprocessing makes none). */
function open(bytes: Uint8Array): Sharp {
  return sharp(bytes, { pages: 1 });
}

async function sizeOf(bytes: Uint8Array): Promise<{ width: number; height: number }> {
  const { info } = await open(bytes).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height };
}

/** Mean sRGB colour of the image's one-pixel border (alpha flattened onto white, as uploads are). */
async function borderColour(bytes: Uint8Array): Promise<{ r: number; g: number; b: number }> {
  const { data, info } = await open(bytes)
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  const { width: w, height: h, channels: c } = info;
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (y !== 0 && y !== h - 1 && x !== 0 && x !== w - 1) continue;
      for (let k = 0; k < 3; k++) sum[k] = (sum[k] ?? 0) + (data[(y * w + x) * c + Math.min(k, c - 1)] ?? 0);
      n++;
    }
  }
  const mean = (k: number) => Math.round((sum[k] ?? 0) / Math.max(1, n));
  return { r: mean(0), g: mean(1), b: mean(2) };
}

const png = (image: Sharp) => image.png().toBuffer();

async function crop(bytes: Uint8Array, rng: () => number): Promise<Buffer> {
  const { width, height } = await sizeOf(bytes);
  const keep = (side: number) => Math.max(1, Math.round(side * (1 - between(rng, 0.03, MAX_CROP_SHARE))));
  const w = keep(width);
  const h = keep(height);
  const left = Math.floor(rng() * (width - w + 1));
  const top = Math.floor(rng() * (height - h + 1));
  return png(open(bytes).extract({ left, top, width: w, height: h }));
}

async function rotate(bytes: Uint8Array, rng: () => number): Promise<Buffer> {
  const { width, height } = await sizeOf(bytes);
  const degrees = between(rng, 2, MAX_ROTATE_DEG) * (rng() < 0.5 ? -1 : 1);
  const background = { ...(await borderColour(bytes)), alpha: 1 };
  // sharp grows the canvas to hold the turned image; cut the original size back out of its centre.
  const { data, info } = await open(bytes)
    .flatten({ background: '#ffffff' })
    .rotate(degrees, { background })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const left = Math.floor((info.width - width) / 2);
  const top = Math.floor((info.height - height) / 2);
  const raw = { width: info.width, height: info.height, channels: info.channels };
  return png(sharp(data, { raw }).extract({ left, top, width, height }));
}

async function colour(bytes: Uint8Array, rng: () => number): Promise<Buffer> {
  return png(
    open(bytes).modulate({
      brightness: between(rng, 0.75, 1.25),
      saturation: between(rng, 0.6, 1.4),
      hue: Math.round(between(rng, -25, 25)),
    }),
  );
}

async function jpeg(bytes: Uint8Array): Promise<Buffer> {
  return open(bytes).flatten({ background: '#ffffff' }).jpeg({ quality: COPY_JPEG_QUALITY }).toBuffer();
}

async function downscale(bytes: Uint8Array): Promise<Buffer> {
  const { width, height } = await sizeOf(bytes);
  const side = (s: number) => Math.max(1, Math.round(s / DOWNSCALE_FACTOR));
  return png(open(bytes).resize(side(width), side(height), { fit: 'fill', kernel: 'lanczos3' }));
}

/** An SVG caption strip w x h: a dark band with light blocks of word-like widths. */
function captionSvg(w: number, h: number, rng: () => number): string {
  const pad = Math.max(1, Math.round(h * 0.25));
  const words: string[] = [];
  for (let x = pad; x < w - pad; ) {
    const len = Math.max(1, Math.round(between(rng, 0.08, 0.2) * w));
    const end = Math.min(x + len, w - pad);
    words.push(
      `<rect x="${x}" y="${pad}" width="${end - x}" height="${Math.max(1, h - 2 * pad)}" fill="#f0f0f0"/>`,
    );
    x = end + Math.max(1, Math.round(0.04 * w));
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><rect width="${w}" height="${h}" fill="#101010" fill-opacity="0.85"/>${words.join('')}</svg>`;
}

async function overlay(bytes: Uint8Array, rng: () => number): Promise<Buffer> {
  const { width, height } = await sizeOf(bytes);
  const strip = Math.max(1, Math.round(height * CAPTION_SHARE));
  const top = rng() < 0.5 ? 0 : height - strip;
  const input = Buffer.from(captionSvg(width, strip, rng));
  return png(open(bytes).composite([{ input, left: 0, top }]));
}

async function original(bytes: Uint8Array): Promise<Buffer> {
  return png(open(bytes));
}

/** The edit functions by name. */
export const EDITS: Readonly<Record<CopyEdit, EditFn>> = Object.freeze({
  original,
  crop,
  rotate,
  colour,
  jpeg,
  downscale,
  overlay,
});
