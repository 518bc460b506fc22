/** Input corruption for denoising autoencoders, applied to batches in plain JS. Pure given the rng. */
import { eraseSquare, shiftImage, zoomImage } from '../image/transform.js';
import type { NoiseConfig } from '../model/architectures/types.js';
import { gaussian } from '../util/rng.js';

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
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
