/**
 * Geometric changes of one side x side image of `channels` interleaved values a pixel (1 grayscale, 3
 * RGB), float or byte, written into a destination of the same size: shift, zoom and erase. They move
 * and clear whole pixels, every channel alike. Pure; training's corruptions and the eval's perturbations
 * use them.
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

/** Writes float `src` scaled by `scale` about its centre (bilinear, per channel) into `dst`, filling with 0. */
export function zoomImage(
  src: Float32Array,
  dst: Float32Array,
  side: number,
  scale: number,
  channels = 1,
): void {
  const c = (side - 1) / 2;
  const at = (x: number, y: number, ch: number) =>
    x < 0 || y < 0 || x >= side || y >= side ? 0 : (src[(y * side + x) * channels + ch] ?? 0);
  for (let y = 0; y < side; y++) {
    const sy = (y - c) / scale + c;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let x = 0; x < side; x++) {
      const sx = (x - c) / scale + c;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      for (let ch = 0; ch < channels; ch++) {
        const top = at(x0, y0, ch) * (1 - fx) + at(x0 + 1, y0, ch) * fx;
        const bottom = at(x0, y0 + 1, ch) * (1 - fx) + at(x0 + 1, y0 + 1, ch) * fx;
        dst[(y * side + x) * channels + ch] = top * (1 - fy) + bottom * fy;
      }
    }
  }
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
