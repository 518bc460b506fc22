/**
 * The one PNG writer, for 8-bit grayscale or RGB images: the query's input and reconstruction in every search
 * answer, item images, the training's reconstruction grid and the eval's PNG uploads. It runs inline with
 * node's zlib: a sharp pipeline per image cost more main-thread time than the rest of a search request
 * put together (profiled under load, docs/benchmarks.md "Load").
 */
import { deflateSync } from 'node:zlib';

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** zlib level of the image data: sharp's default, and small enough to be quick on 28x28 images. */
const DEFLATE_LEVEL = 6;

/** Grey of the gaps between the grid's tiles (0-255). */
const GRID_GAP_GREY = 40;

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of `bytes`, as PNG chunks carry it. */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** PNG row filters: 0 none, 1 each byte minus its left neighbour, 2 each byte minus the byte above. */
const FILTER = { none: 0, sub: 1, up: 2 } as const;

/**
 * The PNG scanlines of `px` (`channels` bytes a pixel) scaled up `scale` times, nearest-neighbour. A scaled image is written with
 * filters that make its repeats zeros (sub for the first copy of a row, up for the others), so deflate
 * has little to do: a 560 px item image took 2.5-3.3 ms instead of 5.7-7.7 ms with plain rows.
 */
function scanlines(px: Uint8Array, width: number, height: number, channels: number, scale: number): Buffer {
  const rowBytes = width * scale * channels;
  const rows = Buffer.alloc((rowBytes + 1) * height * scale);
  for (let y = 0; y < height; y++) {
    const from = y * width * channels;
    const at = y * scale * (rowBytes + 1);
    if (scale === 1) {
      rows[at] = FILTER.none;
      rows.set(px.subarray(from, from + width * channels), at + 1);
      continue;
    }
    rows[at] = FILTER.sub;
    for (let c = 0; c < channels; c++) {
      let left = 0;
      for (let x = 0; x < width; x++) {
        const v = px[from + x * channels + c] ?? 0;
        // the first copy of a pixel carries its difference to the left (mod 256); the others are 0
        rows[at + 1 + x * scale * channels + c] = (v - left) & 0xff;
        left = v;
      }
    }
    for (let copy = 1; copy < scale; copy++) rows[at + copy * (rowBytes + 1)] = FILTER.up;
  }
  return rows;
}

/**
 * Encodes width x height pixels (0-255, row-major; 1 channel grayscale or 3 interleaved RGB) as a PNG,
 * scaled up `scale` (a whole number, default 1) times with nearest-neighbour (crisp) sampling.
 * Synchronous and allocation-light. Throws RangeError for a scale that is not a positive whole number.
 */
export function encodePng(px: Uint8Array, width: number, height: number, channels: 1 | 3, scale = 1): Buffer {
  if (!Number.isInteger(scale) || scale < 1)
    throw new RangeError(`Expected a whole PNG scale of at least 1 but got ${scale}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width * scale, 0);
  header.writeUInt32BE(height * scale, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : 2; // colour type: grayscale or RGB
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(scanlines(px, width, height, channels, scale), { level: DEFLATE_LEVEL })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/**
 * Encodes rows of equally sized square tiles (`channels` bytes a pixel) as one PNG grid (1 px dark gap
 * between tiles), scaled up `scale` times. Used for the originals-above-reconstructions picture that
 * training writes.
 */
export function encodeGridPng(
  rows: readonly (readonly Uint8Array[])[],
  side: number,
  channels: 1 | 3 = 1,
  scale = 2,
): Buffer {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const gap = 1;
  const width = cols * (side + gap) + gap;
  const height = rows.length * (side + gap) + gap;
  const canvas = new Uint8Array(width * height * channels).fill(GRID_GAP_GREY);
  const line = side * channels;
  rows.forEach((row, r) => {
    row.forEach((tile, c) => {
      for (let y = 0; y < side; y++) {
        const dst = ((gap + r * (side + gap) + y) * width + gap + c * (side + gap)) * channels;
        canvas.set(tile.subarray(y * line, (y + 1) * line), dst);
      }
    });
  });
  return encodePng(canvas, width, height, channels, scale);
}
