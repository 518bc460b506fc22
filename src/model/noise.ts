/** Input corruption for denoising autoencoders, applied to batches in plain JS. Pure given the rng. */
import type { NoiseConfig } from './architectures/types.js';

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

/**
 * Returns a corrupted copy of a flat batch of side x side images in [0, 1]:
 * gaussian (sigma = level, clipped), masking (a `level` fraction of pixels set to 0),
 * salt-pepper (a `level` fraction set to 0 or 1) or shift (each image moved by up to `level` px).
 */
export function corruptBatch(
  batch: Float32Array,
  side: number,
  noise: NoiseConfig,
  rng: () => number,
): Float32Array {
  const out = new Float32Array(batch.length);
  const { type, level } = noise;
  if (type === 'shift') {
    const area = side * side;
    const span = Math.round(level);
    for (let i = 0; i * area < batch.length; i++) {
      const dx = Math.floor(rng() * (2 * span + 1)) - span;
      const dy = Math.floor(rng() * (2 * span + 1)) - span;
      shiftImage(
        batch.subarray(i * area, (i + 1) * area),
        out.subarray(i * area, (i + 1) * area),
        side,
        dx,
        dy,
      );
    }
    return out;
  }
  for (let i = 0; i < batch.length; i++) {
    const v = batch[i] ?? 0;
    if (type === 'gaussian') out[i] = clamp01(v + level * gaussian(rng));
    else if (type === 'masking') out[i] = rng() < level ? 0 : v;
    else out[i] = rng() < level ? (rng() < 0.5 ? 0 : 1) : v;
  }
  return out;
}
