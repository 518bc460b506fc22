/**
 * The add benchmark: adding a folder of 64x64 PNGs to a collection (decode, thumbnail, embed, HNSW insert,
 * SQLite commit) against sharp decoding and resizing the same files alone, in the same run; and code
 * search latency before and after removing 10% of the items (deleted slots stay in the graph until
 * they are reused or compacted).
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { scanFolder } from '../collection/scan.js';
import { fileToAdd } from '../collection/sync.js';
import { SearchService } from '../search/search-service.js';
import type { VectorIndex } from '../store/vector-index.js';
import { mapWithConcurrency } from '../util/pool.js';
import { createRng } from '../util/rng.js';

/** What `measureAdd` reports. */
export interface AddFigures {
  readonly images: number;
  /** Images added per second, everything included. */
  readonly imagesPerS: number;
  /** The same files decoded and resized by sharp alone, per second. */
  readonly decodeOnlyPerS: number;
  /** Mean code search time (k 10) before and after removing 10% of the items, and their ratio. */
  readonly removed10: { readonly msBefore: number; readonly msAfter: number; readonly ratio: number };
}

const SIDE = 64;

/** `count` distinct 64x64 colour PNGs (seeded blocks of colour) in `dir`. */
async function writePngs(dir: string, count: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const rng = createRng(12);
  for (let i = 0; i < count; i++) {
    const px = new Uint8Array(SIDE * SIDE * 3);
    const blocks = Array.from({ length: 16 }, () => [rng() * 255, rng() * 255, rng() * 255]);
    for (let y = 0; y < SIDE; y++)
      for (let x = 0; x < SIDE; x++) {
        const block = blocks[(y >> 4) * 4 + (x >> 4)] ?? [0, 0, 0];
        for (let c = 0; c < 3; c++) px[(y * SIDE + x) * 3 + c] = block[c] ?? 0;
      }
    const png = await sharp(px, { raw: { width: SIDE, height: SIDE, channels: 3 } })
      .png()
      .toBuffer();
    await writeFile(join(dir, `img-${String(i).padStart(5, '0')}.png`), png);
  }
}

/** Mean ms of a code search (k 10) for each of `codes`, three rounds. */
function searchMs(index: VectorIndex, codes: readonly Float32Array[]): number {
  const started = performance.now();
  for (let r = 0; r < 3; r++) for (const code of codes) index.search(code, 10);
  return (performance.now() - started) / (3 * codes.length);
}

/** Runs the add benchmark on the index in `indexDir` (it adds to and removes from that collection). */
export async function measureAdd(indexDir: string, scratch: string, count = 400): Promise<AddFigures> {
  const dir = join(scratch, 'add-bench');
  await writePngs(dir, count);
  const service = await SearchService.open(indexDir, { pixel: false });
  try {
    const files = await scanFolder(dir);
    const side = service.source.meta.side;
    let started = performance.now();
    await mapWithConcurrency(files, 4, async (f) =>
      sharp(await readFile(f.path))
        .resize(side, side, { fit: 'inside' })
        .raw()
        .toBuffer(),
    );
    const decodeOnlyPerS = files.length / ((performance.now() - started) / 1000);
    started = performance.now();
    const report = await service.addImages(files.map((f) => fileToAdd(f)));
    const imagesPerS = report.added.length / ((performance.now() - started) / 1000);

    // The same queries before and after: the codes of 2,000 items that stay.
    const { catalogue, indexes } = service.embedded('the add benchmark');
    const all = catalogue.items({ offset: 0, limit: 1_000_000 }).items;
    const stay = all.filter((_, i) => i % 10 !== 5).slice(0, 2000);
    const codes = stay.map((item) => catalogue.code(service.model, item.id)).filter((c) => c !== undefined);
    searchMs(indexes.code, codes.slice(0, 200));
    const msBefore = searchMs(indexes.code, codes);
    await service.removeItems(all.filter((_, i) => i % 10 === 5).map((item) => item.id));
    const msAfter = searchMs(indexes.code, codes);
    return {
      images: report.added.length,
      imagesPerS,
      decodeOnlyPerS,
      removed10: { msBefore, msAfter, ratio: msAfter / msBefore },
    };
  } finally {
    await service.close();
    await rm(dir, { recursive: true, force: true });
  }
}
