/** Input corruption for denoising autoencoders, applied to batches in plain JS. Pure given the rng. */
import { modulateColour } from '../image/colour-jitter.js';
import {
  borderColour,
  cropImage,
  drawCaption,
  eraseSquare,
  rotateImage,
  shiftImage,
  zoomImage,
} from '../image/transform.js';
import type { NoiseConfig, NoiseType } from '../model/architectures/types.js';
import { gaussian } from '../util/rng.js';

/** The images a batch holds: side x side pixels of `channels` interleaved values. */
export interface NoiseGrid {
  readonly side: number;
  readonly channels: number;
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}

/** A uniform draw in [low, high). */
function between(rng: () => number, low: number, high: number): number {
  return low + (high - low) * rng();
}

/** The corruptions that act on single values; every other type changes each image on its own. */
const PER_VALUE: ReadonlySet<NoiseType> = new Set<NoiseType>(['gaussian', 'masking', 'salt-pepper']);

/** Share of the images a `strip` corruption draws a caption on. */
export const STRIP_SHARE = 0.5;

/** Word blocks of a caption across `side` px: 8-20% of the side long, 4% apart, a margin at each end. */
function captionWords(side: number, rows: number, rng: () => number): [number, number][] {
  const pad = Math.max(1, Math.round(rows * 0.25));
  const words: [number, number][] = [];
  for (let x = pad; x < side - pad; ) {
    const end = Math.min(x + Math.max(1, Math.round(between(rng, 0.08, 0.2) * side)), side - pad);
    words.push([x, end]);
    x = end + Math.max(1, Math.round(0.04 * side));
  }
  return words;
}

/** Writes one image's corruption of `src` into `dst` (which starts as a copy of `src` for erase and strip). */
function corruptImage(
  src: Float32Array,
  dst: Float32Array,
  grid: NoiseGrid,
  noise: NoiseConfig,
  rng: () => number,
): void {
  const { side, channels } = grid;
  const { level } = noise;
  switch (noise.type) {
    case 'shift': {
      const span = Math.round(level);
      const dx = Math.floor(rng() * (2 * span + 1)) - span;
      shiftImage(src, dst, side, dx, Math.floor(rng() * (2 * span + 1)) - span, channels);
      return;
    }
    case 'zoom':
      zoomImage(src, dst, side, 1 + (2 * rng() - 1) * level, channels);
      return;
    case 'rotate':
      rotateImage(src, dst, side, between(rng, -level, level), borderColour(src, side, channels), channels);
      return;
    case 'crop': {
      const width = side * (1 - level * rng());
      const height = side * (1 - level * rng());
      const window = { left: rng() * (side - width), top: rng() * (side - height), width, height };
      cropImage(src, dst, side, window, channels);
      return;
    }
    case 'colour':
      modulateColour(src, dst, channels, {
        brightness: between(rng, 1 - level, 1 + level),
        saturation: between(rng, 1 - 1.6 * level, 1 + 1.6 * level),
        hue: between(rng, -100 * level, 100 * level),
      });
      return;
    case 'strip': {
      if (rng() >= STRIP_SHARE) return;
      const rows = Math.max(1, Math.round(side * level * between(rng, 0.5, 1)));
      const top = rng() < 0.5 ? 0 : side - rows;
      drawCaption(dst, side, top, rows, captionWords(side, rows, rng), channels);
      return;
    }
    default: {
      const size = Math.round(rng() * level * side);
      const x = Math.floor(rng() * (side - size + 1));
      eraseSquare(dst, side, x, Math.floor(rng() * (side - size + 1)), size, channels);
    }
  }
}

/** Applies a per-image corruption to every image of a batch. */
function perImage(batch: Float32Array, grid: NoiseGrid, noise: NoiseConfig, rng: () => number): Float32Array {
  const area = grid.side * grid.side * grid.channels;
  const inPlace = noise.type === 'erase' || noise.type === 'strip';
  const out = inPlace ? batch.slice() : new Float32Array(batch.length);
  for (let i = 0; i * area < batch.length; i++)
    corruptImage(
      batch.subarray(i * area, (i + 1) * area),
      out.subarray(i * area, (i + 1) * area),
      grid,
      noise,
      rng,
    );
  return out;
}

/**
 * Returns a corrupted copy of a flat batch of side x side x channels images in [0, 1]:
 * gaussian (sigma = level per value, clipped), masking (a `level` fraction of pixels set to 0, all
 * their channels), salt-pepper (a `level` fraction of pixels set to black or white), shift (each image
 * moved by up to `level` px), zoom (scaled by 1 ± up to `level`), erase (a square of up to `level` x side
 * px set to 0), rotate (turned up to `level` degrees either way, corners filled with the border colour),
 * crop (a window losing up to a `level` share of each side, resized back as an upload would be), colour
 * (brightness x1 ± level, saturation x1 ± 1.6 level, hue turned up to 100 level degrees; brightness only
 * for grayscale) or strip (on half the images, a dark caption strip with light blocks, up to `level` x
 * side rows, at the top or bottom). Every amount is drawn per image from `rng`.
 */
export function corruptBatch(
  batch: Float32Array,
  grid: NoiseGrid,
  noise: NoiseConfig,
  rng: () => number,
): Float32Array {
  const { type, level } = noise;
  if (!PER_VALUE.has(type)) return perImage(batch, grid, noise, rng);
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
