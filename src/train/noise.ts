/** Input corruption for denoising autoencoders, applied to batches in plain JS. Pure given the rng. */
import type { NoiseConfig } from '../model/architectures/types.js';

function gaussian(rng: () => number): number {
  // Box-Muller; 1 - u keeps log away from 0
  const u = 1 - rng();
  const v = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** Shifts one side x side image by (dx, dy) pixels, filling with 0. */
export function shiftImage(src: Float32Array, dst: Float32Array, side: number, dx: number, dy: number): void {
  dst.fill(0);
  for (let y = 0; y < side; y++) {
    const sy = y - dy;
    if (sy < 0 || sy >= side) continue;
    for (let x = 0; x < side; x++) {
      const sx = x - dx;
      if (sx >= 0 && sx < side) dst[y * side + x] = src[sy * side + sx] ?? 0;
    }
  }
}

/** Scales one side x side image by `scale` about its centre (bilinear), filling with 0. */
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

/** Sets a square of `size` px at (x, y) of one side x side image to 0 (cutout). */
export function eraseSquare(img: Float32Array, side: number, x: number, y: number, size: number): void {
  for (let r = y; r < Math.min(side, y + size); r++)
    img.fill(0, r * side + x, r * side + Math.min(side, x + size));
}

/** Applies a per-image geometric corruption (shift, zoom, erase) to every image of a batch. */
function perImage(batch: Float32Array, side: number, noise: NoiseConfig, rng: () => number): Float32Array {
  const area = side * side;
  const out = noise.type === 'erase' ? batch.slice() : new Float32Array(batch.length);
  for (let i = 0; i * area < batch.length; i++) {
    const src = batch.subarray(i * area, (i + 1) * area);
    const dst = out.subarray(i * area, (i + 1) * area);
    if (noise.type === 'shift') {
      const span = Math.round(noise.level);
      shiftImage(
        src,
        dst,
        side,
        Math.floor(rng() * (2 * span + 1)) - span,
        Math.floor(rng() * (2 * span + 1)) - span,
      );
    } else if (noise.type === 'zoom') {
      zoomImage(src, dst, side, 1 + (2 * rng() - 1) * noise.level);
    } else {
      const size = Math.round(rng() * noise.level * side);
      eraseSquare(
        dst,
        side,
        Math.floor(rng() * (side - size + 1)),
        Math.floor(rng() * (side - size + 1)),
        size,
      );
    }
  }
  return out;
}

/**
 * Returns a corrupted copy of a flat batch of side x side images in [0, 1]:
 * gaussian (sigma = level, clipped), masking (a `level` fraction of pixels set to 0),
 * salt-pepper (a `level` fraction set to 0 or 1), shift (each image moved by up to `level` px), zoom
 * (scaled by 1 ± up to `level`) or erase (a square of up to `level` x side px set to 0).
 */
export function corruptBatch(
  batch: Float32Array,
  side: number,
  noise: NoiseConfig,
  rng: () => number,
): Float32Array {
  const out = new Float32Array(batch.length);
  const { type, level } = noise;
  if (type === 'shift' || type === 'zoom' || type === 'erase') return perImage(batch, side, noise, rng);
  for (let i = 0; i < batch.length; i++) {
    const v = batch[i] ?? 0;
    if (type === 'gaussian') out[i] = clamp01(v + level * gaussian(rng));
    else if (type === 'masking') out[i] = rng() < level ? 0 : v;
    else out[i] = rng() < level ? (rng() < 0.5 ? 0 : 1) : v;
  }
  return out;
}
