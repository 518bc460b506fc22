/** Dataset bytes as the models' float input in [0, 1]. Pure JS; no tfjs. */
import type { ImageSet } from './types.js';

/** Copies images `indices` of `set` (each `area` bytes) into one flat float array in [0, 1]. */
export function gatherBatch(set: ImageSet, indices: ArrayLike<number>, area: number): Float32Array {
  const out = new Float32Array(indices.length * area);
  for (let b = 0; b < indices.length; b++) {
    const from = (indices[b] ?? 0) * area;
    const to = b * area;
    for (let j = 0; j < area; j++) out[to + j] = (set.pixels[from + j] ?? 0) / 255;
  }
  return out;
}

/** Copies rows `indices` of `rows` (each `width` values) into one flat array, in the order asked. */
export function gatherRows(rows: Float32Array, indices: ArrayLike<number>, width: number): Float32Array {
  const out = new Float32Array(indices.length * width);
  for (let b = 0; b < indices.length; b++) {
    const from = (indices[b] ?? 0) * width;
    out.set(rows.subarray(from, from + width), b * width);
  }
  return out;
}

/** All images of a set as one float array in [0, 1] (for embedding and evaluation). */
export function toFloatImages(set: ImageSet): Float32Array {
  const out = new Float32Array(set.pixels.length);
  for (let i = 0; i < out.length; i++) out[i] = (set.pixels[i] ?? 0) / 255;
  return out;
}
