/** Input corruption for denoising autoencoders, applied to batches in plain JS. Pure given the rng. */
import { eraseSquare, shiftImage, zoomImage } from '../image/transform.js';
import type { NoiseConfig } from '../model/architectures/types.js';
import { gaussian } from '../util/rng.js';

/** The images a batch holds: side x side pixels of `channels` interleaved values. */
export interface NoiseGrid {
  readonly side: number;
  readonly channels: number;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** Applies a per-image geometric corruption (shift, zoom, erase) to every image of a batch. */
function perImage(batch: Float32Array, grid: NoiseGrid, noise: NoiseConfig, rng: () => number): Float32Array {
  const { side, channels } = grid;
  const area = side * side * channels;
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
        channels,
      );
    } else if (noise.type === 'zoom') {
      zoomImage(src, dst, side, 1 + (2 * rng() - 1) * noise.level, channels);
    } else {
      const size = Math.round(rng() * noise.level * side);
      eraseSquare(
        dst,
        side,
        Math.floor(rng() * (side - size + 1)),
        Math.floor(rng() * (side - size + 1)),
        size,
        channels,
      );
    }
  }
  return out;
}

/**
 * Returns a corrupted copy of a flat batch of side x side x channels images in [0, 1]:
 * gaussian (sigma = level per value, clipped), masking (a `level` fraction of pixels set to 0, all
 * their channels), salt-pepper (a `level` fraction of pixels set to black or white), shift (each image moved by up to `level` px), zoom
 * (scaled by 1 ± up to `level`) or erase (a square of up to `level` x side px set to 0).
 */
export function corruptBatch(
  batch: Float32Array,
  grid: NoiseGrid,
  noise: NoiseConfig,
  rng: () => number,
): Float32Array {
  const { type, level } = noise;
  if (type === 'shift' || type === 'zoom' || type === 'erase') return perImage(batch, grid, noise, rng);
  if (type === 'gaussian') return batch.map((v) => clamp01(v + level * gaussian(rng)));
  const out = batch.slice();
  const c = grid.channels;
  for (let p = 0; p * c < batch.length; p++) {
    if (rng() >= level) continue;
    const fill = type === 'masking' || rng() < 0.5 ? 0 : 1;
    out.fill(fill, p * c, (p + 1) * c);
  }
  return out;
}
