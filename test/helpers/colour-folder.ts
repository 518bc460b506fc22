/**
 * A small labelled folder of colour images for tests: shapes in a few colours, drawn as SVG and rendered
 * by sharp (red circles, green squares, blue triangles, ...), each with a little seeded variation in
 * size, place and shade, on a light background.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRng } from '../../src/util/rng.js';

/** How many images, classes and pixels `makeColourFolder` draws. */
export interface ColourFolderOptions {
  /** Images per class. */
  readonly perClass: number;
  /** Classes, at most CLASSES.length. */
  readonly classes: number;
  /** Side of each PNG, in pixels. */
  readonly size: number;
  readonly seed?: number;
}

type Shape = (size: number, rng: () => number, fill: string) => string;

const circle: Shape = (s, rng, fill) =>
  `<circle cx="${s * (0.45 + 0.1 * rng())}" cy="${s * (0.45 + 0.1 * rng())}" r="${s * (0.25 + 0.1 * rng())}" fill="${fill}"/>`;
const square: Shape = (s, rng, fill) => {
  const w = s * (0.45 + 0.15 * rng());
  return `<rect x="${(s - w) * (0.4 + 0.2 * rng())}" y="${(s - w) * (0.4 + 0.2 * rng())}" width="${w}" height="${w}" fill="${fill}"/>`;
};
const triangle: Shape = (s, rng, fill) => {
  const m = s * (0.1 + 0.1 * rng());
  return `<polygon points="${s / 2},${m} ${s - m},${s - m} ${m},${s - m}" fill="${fill}"/>`;
};
const stripes: Shape = (s, rng, fill) => {
  const w = s * (0.1 + 0.05 * rng());
  return [0, 1, 2]
    .map((i) => `<rect x="${s * 0.15 + i * 2.2 * w}" y="0" width="${w}" height="${s}" fill="${fill}"/>`)
    .join('');
};

/** The classes drawn, in order: folder name, shape, base colour (r, g, b). */
export const CLASSES: readonly (readonly [string, Shape, readonly [number, number, number]])[] = [
  ['red-circles', circle, [220, 30, 30]],
  ['green-squares', square, [30, 180, 50]],
  ['blue-triangles', triangle, [30, 60, 220]],
  ['orange-stripes', stripes, [240, 150, 20]],
];

function shade(rgb: readonly [number, number, number], rng: () => number): string {
  const v = rgb.map((c) => Math.max(0, Math.min(255, Math.round(c + (rng() - 0.5) * 40))));
  return `rgb(${v.join(',')})`;
}

/**
 * Writes `classes` x `perClass` PNGs into labelled sub-folders of `dir` (`<class>/NNN.png`); returns
 * the class names in order. Deterministic for a seed.
 */
export async function makeColourFolder(dir: string, options: ColourFolderOptions): Promise<string[]> {
  const rng = createRng(options.seed ?? 7);
  const s = options.size;
  const used = CLASSES.slice(0, options.classes);
  for (const [name, shape, rgb] of used) {
    await mkdir(join(dir, name), { recursive: true });
    for (let i = 0; i < options.perClass; i++) {
      const bg = 235 + Math.floor(rng() * 20);
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${s}" height="${s}"><rect width="${s}" height="${s}" fill="rgb(${bg},${bg},${bg})"/>${shape(s, rng, shade(rgb, rng))}</svg>`;
      const png = await sharp(Buffer.from(svg)).png().toBuffer();
      await writeFile(join(dir, name, `${String(i).padStart(3, '0')}.png`), png);
    }
  }
  return used.map(([name]) => name);
}
