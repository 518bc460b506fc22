/**
 * The robustness perturbations of query images. The pixel changes are pure; every perturbed query is
 * then re-sent as an upload (src/image/perturb.ts) so it gets exactly the upload preprocessing:
 *
 * - `shift2`: moved 2 px right and 2 px down (SHIFT_PX), filling with background; sent as PNG.
 * - `noise`: gaussian noise of σ 0.1 (NOISE_SIGMA, in [0, 1] units) added to every pixel, clipped to
 *   [0, 1] and rounded to bytes; seeded (NOISE_SEED), so runs repeat; sent as PNG.
 * - `jpeg224`: upscaled to 224x224 and saved as JPEG quality 75, then decoded back.
 */
import type { ImageSet } from '../dataset/types.js';
import { reupload, type UploadFormat } from '../image/perturb.js';
import type { InputFormat } from '../image/preprocess.js';
import { shiftImage } from '../image/transform.js';
import { createRng, gaussian } from '../util/rng.js';

/** The perturbations the eval runs, in report order. */
export const PERTURBATIONS = ['shift2', 'noise', 'jpeg224'] as const;
export type PerturbationName = (typeof PERTURBATIONS)[number];

/** Shift of `shift2`, in pixels, applied both rightwards and downwards. */
export const SHIFT_PX = 2;
/** Standard deviation of `noise`, in [0, 1] pixel units. */
export const NOISE_SIGMA = 0.1;
/** Seed of `noise`. */
export const NOISE_SEED = 1;

/** One line per perturbation, for reports. */
export const PERTURBATION_PROTOCOL: Readonly<Record<PerturbationName, string>> = Object.freeze({
  shift2: `shifted ${SHIFT_PX} px right and ${SHIFT_PX} px down (background fill), sent as PNG`,
  noise: `gaussian noise sigma ${NOISE_SIGMA} (seed ${NOISE_SEED}), clipped to [0, 1], sent as PNG`,
  jpeg224: 'upscaled to 224x224 (lanczos3), saved as JPEG quality 75, decoded back',
});

/**
 * Shifts each side x side image (`channels` values a pixel) of `pixels` by (dx, dy) px (positive =
 * right, down), filling with 0.
 */
export function shiftImages(
  pixels: Uint8Array,
  side: number,
  dx: number,
  dy: number,
  channels = 1,
): Uint8Array {
  const area = side * side * channels;
  const out = new Uint8Array(pixels.length);
  for (let o = 0; o + area <= pixels.length; o += area)
    shiftImage(pixels.subarray(o, o + area), out.subarray(o, o + area), side, dx, dy, channels);
  return out;
}

/** Adds gaussian noise of `sigma` ([0, 1] units) to every pixel, clipped to [0, 1], rounded to bytes. */
export function addGaussianNoise(pixels: Uint8Array, sigma: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from(pixels, (v) =>
    Math.round(Math.min(1, Math.max(0, v / 255 + sigma * gaussian(rng))) * 255),
  );
}

/** The perturbed pixels before the upload round trip, and how they are sent. */
function perturbPixels(
  name: PerturbationName,
  set: ImageSet,
  format: InputFormat,
): [Uint8Array, UploadFormat] {
  if (name === 'shift2')
    return [shiftImages(set.pixels, format.side, SHIFT_PX, SHIFT_PX, format.channels), 'png'];
  if (name === 'noise') return [addGaussianNoise(set.pixels, NOISE_SIGMA, NOISE_SEED), 'png'];
  return [set.pixels, 'jpeg224'];
}

/** The queries of `set` (images of `input`) perturbed by `name` and re-sent as uploads; labels and database ids are kept. */
export async function perturbQueries<T extends ImageSet>(
  name: PerturbationName,
  set: T,
  input: InputFormat,
  onProgress?: (done: number) => void,
): Promise<T> {
  const [pixels, format] = perturbPixels(name, set, input);
  return { ...set, pixels: await reupload(pixels, set.count, input, format, onProgress) };
}
