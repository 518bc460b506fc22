/**
 * Geometric changes of one side x side grayscale image, float or byte, written into a destination of the
 * same size: shift, zoom and erase. Pure; training's corruptions and the eval's perturbations use them.
 */

/** One side x side image, row-major: floats in [0, 1] or bytes. */
export type ImagePixels = Float32Array | Uint8Array;

/** Writes `src` moved by (dx, dy) whole pixels (positive = right, down) into `dst`, filling with 0. */
export function shiftImage<T extends ImagePixels>(
  src: T,
  dst: T,
  side: number,
  dx: number,
  dy: number,
): void {
  dst.fill(0);
  const x0 = Math.max(0, dx);
  const x1 = Math.min(side, side + dx);
  if (x1 <= x0) return;
  for (let y = Math.max(0, dy); y < Math.min(side, side + dy); y++) {
    const from = (y - dy) * side - dx;
    dst.set(src.subarray(from + x0, from + x1), y * side + x0);
  }
}

/** Writes float `src` scaled by `scale` about its centre (bilinear) into `dst`, filling with 0. */
export function zoomImage(src: Float32Array, dst: Float32Array, side: number, scale: number): void {
  const c = (side - 1) / 2;
  const at = (x: number, y: number) =>
    x < 0 || y < 0 || x >= side || y >= side ? 0 : (src[y * side + x] ?? 0);
  for (let y = 0; y < side; y++) {
    const sy = (y - c) / scale + c;
    const y0 = Math.floor(sy);
    const fy = sy - y0;
    for (let x = 0; x < side; x++) {
      const sx = (x - c) / scale + c;
      const x0 = Math.floor(sx);
      const fx = sx - x0;
      const top = at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx;
      const bottom = at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx;
      dst[y * side + x] = top * (1 - fy) + bottom * fy;
    }
  }
}

/** Sets a square of `size` px at (x, y) of `img` to 0 (cutout), clipped at the border. */
export function eraseSquare(img: ImagePixels, side: number, x: number, y: number, size: number): void {
  for (let r = y; r < Math.min(side, y + size); r++)
    img.fill(0, r * side + x, r * side + Math.min(side, x + size));
}
