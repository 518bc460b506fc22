/** Helpers for tests of the encoder's input steps (re-centring, equalising, clearing): made-up images, batches. */
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

/**
 * The 3x3 mean of each pixel's grey (the mean of its channels), pixels outside the frame black: the
 * brightness map the input steps threshold at BRIGHT_THRESHOLD, written out pixel by pixel (row-major).
 */
export function referenceBrightness(img: Float32Array, side: number, channels: number): Float32Array {
  const gray = (x: number, y: number) => {
    if (x < 0 || y < 0 || x >= side || y >= side) return 0;
    let s = 0;
    for (let c = 0; c < channels; c++) s += img[(y * side + x) * channels + c] ?? 0;
    return s / channels;
  };
  const means = new Float32Array(side * side);
  for (let y = 0; y < side; y++)
    for (let x = 0; x < side; x++) {
      let s = 0;
      for (let v = -1; v <= 1; v++) for (let u = -1; u <= 1; u++) s += gray(x + u, y + v);
      means[y * side + x] = s / 9;
    }
  return means;
}
