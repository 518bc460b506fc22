/** Helpers for tests of the encoder's input steps (re-centring, equalising): small made-up images and batches. */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';

/** A side x side x channels image, black but for a rectangle of `value` over columns x0..x1, rows y0..y1. */
export function rectangle(
  side: number,
  channels: number,
  box: [number, number, number, number],
  value = 0.8,
): Float32Array {
  const [x0, x1, y0, y1] = box;
  const img = new Float32Array(side * side * channels);
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++)
      for (let c = 0; c < channels; c++) img[(y * side + x) * channels + c] = value * (1 - c * 0.2);
  return img;
}

/** `images` (side x side x channels each) as one batch through `step`, flat. */
export function throughStep(
  images: Float32Array[],
  side: number,
  channels: number,
  step: (batch: tf.Tensor2D, side: number, channels: number) => tf.Tensor2D,
): Float32Array {
  const area = side * side * channels;
  const flat = new Float32Array(images.length * area);
  images.forEach((img, i) => {
    flat.set(img, i * area);
  });
  return tf.tidy(() =>
    step(tf.tensor2d(flat, [images.length, area]), side, channels).dataSync(),
  ) as Float32Array;
}

/** The largest absolute difference between two equally long arrays. */
export function largestDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return worst;
}

/** Asserts every element of `actual` within `tolerance` of `expected`'s. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  tolerance = 1e-5,
): void {
  const worst = largestDifference(actual, expected);
  assert.ok(worst < tolerance, `${what}: largest difference ${worst}`);
}
