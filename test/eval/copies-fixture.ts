/**
 * A folder of colour test images drawn with sharp: one sub-folder per shape (the label), each image a
 * shape of a random colour, size and place on a two-colour gradient, so no two are alike. Seeded. Also
 * a script: `node --import tsx test/eval/copies-fixture.ts DIR COUNT [SIDE]` writes COUNT images.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { createRng } from '../../src/util/rng.js';

/** The shapes, which are the folder's labels. */
export const SHAPES = ['circle', 'square', 'triangle', 'ring', 'cross', 'diamond'] as const;

function hex(rng: () => number): string {
  return `#${Array.from({ length: 3 }, () =>
    Math.floor(rng() * 256)
      .toString(16)
      .padStart(2, '0'),
  ).join('')}`;
}

/** SVG of `shape` centred near (cx, cy) with radius r. */
function shapeSvg(shape: (typeof SHAPES)[number], cx: number, cy: number, r: number, fill: string): string {
  const pts = (p: number[][]) =>
    `<polygon points="${p.map(([x, y]) => `${x},${y}`).join(' ')}" fill="${fill}"/>`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${fill}"/>`;
    case 'square':
      return `<rect x="${cx - r}" y="${cy - r}" width="${2 * r}" height="${2 * r}" fill="${fill}"/>`;
    case 'triangle':
      return pts([
        [cx, cy - r],
        [cx + r, cy + r],
        [cx - r, cy + r],
      ]);
    case 'ring':
      return `<circle cx="${cx}" cy="${cy}" r="${r * 0.75}" fill="none" stroke="${fill}" stroke-width="${r * 0.45}"/>`;
    case 'cross':
      return `<rect x="${cx - r}" y="${cy - r / 3}" width="${2 * r}" height="${(2 * r) / 3}" fill="${fill}"/><rect x="${cx - r / 3}" y="${cy - r}" width="${(2 * r) / 3}" height="${2 * r}" fill="${fill}"/>`;
    case 'diamond':
      return pts([
        [cx, cy - r],
        [cx + r, cy],
        [cx, cy + r],
        [cx - r, cy],
      ]);
  }
}

/** One image: `shape` on a gradient, every amount drawn from `rng`; PNG bytes, side x side. */
export async function drawShape(
  shape: (typeof SHAPES)[number],
  side: number,
  rng: () => number,
): Promise<Buffer> {
  const r = side * (0.18 + 0.17 * rng());
  const cx = side / 2 + (rng() - 0.5) * side * 0.3;
  const cy = side / 2 + (rng() - 0.5) * side * 0.3;
  const angle = Math.floor(rng() * 360);
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${side}" height="${side}">` +
    `<defs><linearGradient id="g" gradientTransform="rotate(${angle} 0.5 0.5)">` +
    `<stop offset="0" stop-color="${hex(rng)}"/><stop offset="1" stop-color="${hex(rng)}"/></linearGradient></defs>` +
    `<rect width="${side}" height="${side}" fill="url(#g)"/>${shapeSvg(shape, cx, cy, r, hex(rng))}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Writes `count` images (shapes in turn) into `dir/<shape>/NNNNN.png`; returns the files. */
export async function makeColourFolder(dir: string, count: number, side = 64, seed = 7): Promise<string[]> {
  const rng = createRng(seed);
  const files: string[] = [];
  for (const shape of SHAPES) await mkdir(join(dir, shape), { recursive: true });
  for (let i = 0; i < count; i++) {
    const shape = SHAPES[i % SHAPES.length] ?? 'circle';
    const file = join(dir, shape, `${String(i).padStart(5, '0')}.png`);
    await writeFile(file, await drawShape(shape, side, rng));
    files.push(file);
  }
  return files;
}

if (process.argv[1]?.endsWith('copies-fixture.ts')) {
  const [dir, count, side] = process.argv.slice(2);
  if (!dir || !count) throw new Error('usage: copies-fixture.ts DIR COUNT [SIDE]');
  await makeColourFolder(dir, Number(count), side ? Number(side) : 64);
}
