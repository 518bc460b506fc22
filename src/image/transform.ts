/**
 * Geometric changes of one side x side image of `channels` interleaved values a pixel (1 grayscale, 3
 * RGB), float or byte, written into a destination of the same size: shift, zoom, rotate, crop, erase and
 * a caption strip. They move and clear pixels, every channel alike. Pure; training's corruptions and the
 * eval's perturbations use them.
 */

/** One side x side x channels image, row-major: floats in [0, 1] or bytes. */
export type ImagePixels = Float32Array | Uint8Array;

/** Writes `src` moved by (dx, dy) whole pixels (positive = right, down) into `dst`, filling with 0. */
export function shiftImage<T extends ImagePixels>(
  src: T,
  dst: T,
  side: number,
  dx: number,
  dy: number,
  channels = 1,
): void {
  dst.fill(0);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(side, side + dx);
  if (x1 <= x0) return;
  for (let y = Math.max(0, dy); y < Math.min(side, side + dy); y++) {
    const from = (y - dy) * side - dx;
    dst.set(src.subarray((from + x0) * channels, (from + x1) * channels), (y * side + x0) * channels);
  }
}

/**
 * Channel `ch` of float `src` at the real position (sx, sy), bilinear; a sample outside the image reads
 * `fill[ch]` (or the nearest edge pixel when `fill` is 'edge').
 */
function sampleBilinear(
  src: Float32Array,
  side: number,
  channels: number,
  sx: number,
  sy: number,
  ch: number,
  fill: readonly number[] | 'edge',
): number {
  const at = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= side || y >= side) {
      if (fill !== 'edge') return fill[ch] ?? 0;
      x = Math.min(side - 1, Math.max(0, x));
      y = Math.min(side - 1, Math.max(0, y));
    }
    return src[(y * side + x) * channels + ch] ?? 0;
  };
  const x0 = Math.floor(sx);
  const y0 = Math.floor(sy);
  const fx = sx - x0;
  const fy = sy - y0;
  const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
  const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
  return top * (1 - fy) + bottom * fy;
}

const BLACK: readonly number[] = [0, 0, 0];

/** Writes float `src` scaled by `scale` about its centre (bilinear, per channel) into `dst`, filling with 0. */
export function zoomImage(
  src: Float32Array,
  dst: Float32Array,
  side: number,
  scale: number,
  channels = 1,
): void {
  const c = (side - 1) / 2;
  for (let y = 0; y < side; y++) {
    const sy = (y - c) / scale + c;
    for (let x = 0; x < side; x++) {
      const sx = (x - c) / scale + c;
      for (let ch = 0; ch < channels; ch++)
        dst[(y * side + x) * channels + ch] = sampleBilinear(src, side, channels, sx, sy, ch, BLACK);
    }
  }
}

/**
 * Writes float `src` turned by `degrees` about its centre (positive = clockwise on screen, bilinear) into
 * `dst`, same size; the corners the turn uncovers take `fill` (one value per channel).
 */
export function rotateImage(
  src: Float32Array,
  dst: Float32Array,
  side: number,
  degrees: number,
  fill: readonly number[],
  channels = 1,
): void {
  const c = (side - 1) / 2;
  const cos = Math.cos((degrees * Math.PI) / 180);
  const sin = Math.sin((degrees * Math.PI) / 180);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      // the source of (x, y) is (x, y) turned back by -degrees
      const sx = cos * (x - c) + sin * (y - c) + c;
      const sy = -sin * (x - c) + cos * (y - c) + c;
      for (let ch = 0; ch < channels; ch++)
        dst[(y * side + x) * channels + ch] = sampleBilinear(src, side, channels, sx, sy, ch, fill);
    }
  }
}

/** A window of an image in its pixels: left and top edges, width and height (fractions allowed). */
export interface CropWindow {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Writes the `window` of float `src` into `dst` as a cropped file comes out of the upload
 * preprocessing: resized (bilinear) to fit inside side x side with its aspect kept, centred on black.
 */
export function cropImage(
  src: Float32Array,
  dst: Float32Array,
  side: number,
  window: CropWindow,
  channels = 1,
): void {
  const scale = side / Math.max(window.width, window.height);
  const w = Math.min(side, Math.max(1, Math.round(window.width * scale)));
  const h = Math.min(side, Math.max(1, Math.round(window.height * scale)));
  const left = Math.floor((side - w) / 2);
  const top = Math.floor((side - h) / 2);
  dst.fill(0);
  for (let y = 0; y < h; y++) {
    const sy = window.top + ((y + 0.5) * window.height) / h - 0.5;
    for (let x = 0; x < w; x++) {
      const sx = window.left + ((x + 0.5) * window.width) / w - 0.5;
      for (let ch = 0; ch < channels; ch++)
        dst[((top + y) * side + left + x) * channels + ch] = sampleBilinear(
          src,
          side,
          channels,
          sx,
          sy,
          ch,
          'edge',
        );
    }
  }
}

/** Mean of each channel over the image's one-pixel border: what a turned image's corners are filled with. */
export function borderColour(img: ImagePixels, side: number, channels = 1): number[] {
  const sum = new Array<number>(channels).fill(0);
  let n = 0;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      if (y !== 0 && y !== side - 1 && x !== 0 && x !== side - 1) continue;
      for (let ch = 0; ch < channels; ch++)
        sum[ch] = (sum[ch] ?? 0) + (img[(y * side + x) * channels + ch] ?? 0);
      n++;
    }
  }
  return sum.map((v) => v / Math.max(1, n));
}

/** Sets a square of `size` px at (x, y) of `img` to 0 (cutout, every channel), clipped at the border. */
export function eraseSquare(
  img: ImagePixels,
  side: number,
  x: number,
  y: number,
  size: number,
  channels = 1,
): void {
  for (let r = y; r < Math.min(side, y + size); r++)
    img.fill(0, (r * side + x) * channels, (r * side + Math.min(side, x + size)) * channels);
}

/** Caption strip colours on [0, 1]: the band (#101010 at 85% opacity) and its word blocks (#f0f0f0). */
export const CAPTION_BAND = Object.freeze({ value: 16 / 255, opacity: 0.85, word: 240 / 255 });

/**
 * Draws a caption strip into float `img`, as the copy test's overlay edit does: rows [top, top + rows)
 * darkened by the band, and light blocks on them spanning columns [from, to) for each of `words`, in
 * the band's rows but a margin of a quarter of its height (at least one row) above and below.
 */
export function drawCaption(
  img: Float32Array,
  side: number,
  top: number,
  rows: number,
  words: readonly (readonly [number, number])[],
  channels = 1,
): void {
  const end = Math.min(side, top + rows);
  const { value, opacity, word } = CAPTION_BAND;
  for (let i = Math.max(0, top) * side * channels; i < end * side * channels; i++)
    img[i] = (img[i] ?? 0) * (1 - opacity) + value * opacity;
  const pad = Math.max(1, Math.round(rows * 0.25));
  for (let r = Math.max(0, top + pad); r < end - pad; r++)
    for (const [from, to] of words)
      img.fill(word, (r * side + Math.max(0, from)) * channels, (r * side + Math.min(side, to)) * channels);
}
