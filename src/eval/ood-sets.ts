/**
 * The eval's built-in out-of-distribution sets: images that do not belong to an image collection, made
 * deterministically from a seed, each as an image file (PNG) that then gets the upload preprocessing.
 *
 * - `noise`: uniform gray noise at the model's side (a larger or colour one would be averaged towards a
 *   flat mid-gray by the resize and the grayscale conversion, which is the `flat` set's job).
 * - `flat`: one flat RGB colour each (light ones become dark gray levels through the light-border rule).
 * - `text`: one to three letters or digits, in a random size, black on white or white on black.
 * - `inverted`: held-out queries with their object's gray levels inverted (255 - v where v > 0) on the dark
 *   background. A whole-image inversion is no test: its light border makes the preprocessing undo it.
 */
import sharp from 'sharp';
import { encodePng } from '../image/png.js';
import type { InputFormat } from '../image/preprocess.js';
import { svgToPng } from '../image/svg.js';
import { createRng } from '../util/rng.js';

/** The built-in sets, in report order. */
export const OOD_SETS = ['noise', 'flat', 'text', 'inverted'] as const;
export type OodSetName = (typeof OOD_SETS)[number];

/** Seed of the built-in sets (each set derives its own from it). */
export const OOD_SEED = 14;

/** One line per set, for reports. */
export const OOD_PROTOCOL: Readonly<Record<OodSetName, string>> = Object.freeze({
  noise: 'uniform gray noise, 0-255 per pixel, sent as PNG',
  flat: 'one flat RGB colour each, sent as PNG',
  text: '1-3 letters or digits (DejaVu/sans-serif, random size), black on white or white on black, rendered by librsvg',
  inverted: "held-out queries with the object's gray levels inverted on the dark background, sent as PNG",
});

const GLYPHS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function rawPng(data: Uint8Array, width: number, channels: 1 | 3): Promise<Buffer> {
  return sharp(Buffer.from(data.buffer, data.byteOffset, data.byteLength), {
    raw: { width, height: data.length / width / channels, channels },
  })
    .png()
    .toBuffer();
}

function noiseFile(rng: () => number, side: number): Promise<Buffer> {
  const data = Uint8Array.from({ length: side * side }, () => Math.floor(rng() * 256));
  return rawPng(data, side, 1);
}

function flatFile(rng: () => number, side: number): Promise<Buffer> {
  const rgb = [0, 1, 2].map(() => Math.floor(rng() * 256));
  const data = Uint8Array.from({ length: side * side * 3 }, (_, i) => rgb[i % 3] ?? 0);
  return rawPng(data, side, 3);
}

function textFile(rng: () => number, side: number): Promise<Buffer> {
  const length = 1 + Math.floor(rng() * 3);
  const text = Array.from({ length }, () => GLYPHS[Math.floor(rng() * GLYPHS.length)]).join('');
  const big = side * 2;
  const size = Math.round(big * (0.35 + rng() * 0.4));
  const [ink, paper] = rng() < 0.5 ? ['black', 'white'] : ['white', 'black'];
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${big}" height="${big}">` +
    `<rect width="${big}" height="${big}" fill="${paper}"/>` +
    `<text x="50%" y="50%" dominant-baseline="central" text-anchor="middle" font-family="sans-serif" ` +
    `font-size="${size}" fill="${ink}">${text}</text></svg>`;
  return svgToPng(svg, 72);
}

/** A side x side image with its object's gray levels inverted and its background (0) kept. Pure. */
export function invertObject(gray: Uint8Array): Uint8Array {
  return gray.map((v) => (v > 0 ? 255 - v : 0));
}

/**
 * `count` image files of set `name`; `queries` (count x side x side gray bytes, at least `count` of them)
 * are what `inverted` starts from. Same seed, same files.
 */
export async function oodFiles(
  name: OodSetName,
  count: number,
  format: InputFormat,
  queries: Uint8Array,
): Promise<Buffer[]> {
  const rng = createRng(OOD_SEED * 1000 + OOD_SETS.indexOf(name));
  const { side, channels } = format;
  const area = side * side * channels;
  const files: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    if (name === 'noise') files.push(await noiseFile(rng, side));
    else if (name === 'flat') files.push(await flatFile(rng, side));
    else if (name === 'text') files.push(await textFile(rng, side));
    else
      files.push(encodePng(invertObject(queries.subarray(i * area, (i + 1) * area)), side, side, channels));
  }
  return files;
}
