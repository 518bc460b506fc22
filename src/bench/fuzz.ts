/**
 * Upload fuzzing: random and mutated uploads (bytes flipped, truncated, headers swapped between formats,
 * huge declared sizes, random bytes, text and SVG) sent with random transports and content types against
 * a running server. Every answer must be 2xx or 4xx; anything else, or a dropped connection, is a
 * failure. Used by the test suite (2,000 uploads) and by `npm run fuzz` (10,000).
 */
import { crc32 } from '../image/png.js';
import { createRng } from '../util/rng.js';

/** One fuzzed request. */
export interface FuzzCase {
  readonly kind: string;
  readonly body: Uint8Array;
  readonly headers: Record<string, string>;
  readonly query: string;
}

/** What a fuzz run saw. */
export interface FuzzReport {
  readonly sent: number;
  /** Count per status, e.g. { "200": 310, "415": 1200 }. */
  readonly statuses: Record<string, number>;
  /** Requests answered outside 2xx/4xx, or not answered at all. */
  readonly failures: { readonly kind: string; readonly status: number | string; readonly body: string }[];
}

type Rng = () => number;

const SIGNATURES: readonly number[][] = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  [0xff, 0xd8, 0xff, 0xe0],
  [...Buffer.from('GIF89a')],
  [...Buffer.from('RIFF\0\0\0\0WEBP')],
  [...Buffer.from('<svg xmlns="http://www.w3.org/2000/svg">')],
  [0x49, 0x49, 0x2a, 0x00],
  [...Buffer.from('%PDF-1.4')],
];

const TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'image/svg+xml', 'image/x-anything'];
const OTHER_TYPES = ['application/octet-stream', 'text/plain', 'application/json', ''];

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)] as T;
}

function int(rng: Rng, below: number): number {
  return Math.floor(rng() * below);
}

function randomBytes(rng: Rng, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => int(rng, 256));
}

/** A PNG whose IHDR declares width x height (CRC fixed up, so only the size is wrong). */
export function withDeclaredSize(png: Uint8Array, width: number, height: number): Uint8Array {
  const out = Uint8Array.from(png);
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

const MUTATIONS: Record<string, (rng: Rng, seed: Uint8Array) => Uint8Array> = {
  valid: (_rng, seed) => seed,
  flip: (rng, seed) => {
    const out = Uint8Array.from(seed);
    for (let i = 1 + int(rng, 16); i > 0; i--) out[int(rng, out.length)] = int(rng, 256);
    return out;
  },
  truncate: (rng, seed) => seed.subarray(0, int(rng, seed.length)),
  swapHeader: (rng, seed) => {
    const sig = pick(rng, SIGNATURES);
    const out = Uint8Array.from(seed);
    out.set(sig.slice(0, Math.min(sig.length, out.length)));
    return out;
  },
  random: (rng) => randomBytes(rng, int(rng, 4096)),
  headerOnly: (rng) => Uint8Array.from(pick(rng, SIGNATURES)),
  signaturePlusRandom: (rng) =>
    Uint8Array.from([...pick(rng, SIGNATURES), ...randomBytes(rng, int(rng, 512))]),
  zeroRange: (rng, seed) => {
    const out = Uint8Array.from(seed);
    const start = int(rng, out.length);
    out.fill(0, start, start + 1 + int(rng, 64));
    return out;
  },
  appendGarbage: (rng, seed) => Uint8Array.from([...seed, ...randomBytes(rng, 1 + int(rng, 256))]),
  hugeDeclared: (rng, seed) =>
    seed[0] === 0x89 ? withDeclaredSize(seed, 1 + int(rng, 100_000), 1 + int(rng, 100_000)) : seed,
  text: (rng) =>
    Buffer.from(pick(rng, ['hello', '{"image": 1}', '<html></html>', 'x'.repeat(int(rng, 2000))])),
  svg: (rng) =>
    Buffer.from(
      `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="${int(rng, 1e6)}" height="9"><image href="file:///etc/passwd"/></svg>`,
    ),
};

function multipart(rng: Rng, body: Uint8Array): { body: Uint8Array; type: string } {
  const boundary = `fuzz${int(rng, 1e9)}`;
  const field = rng() < 0.9 ? 'image' : pick(rng, ['file', 'img', '']);
  const type = pick(rng, [...TYPES, ...OTHER_TYPES]);
  const name = pick(rng, ['q.png', 'q.jpg', 'q.svg', 'q', '../../etc/passwd', 'a"b.png']);
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: ${type}\r\n\r\n`;
  const tail = rng() < 0.95 ? `\r\n--${boundary}--\r\n` : '';
  return {
    body: Buffer.concat([Buffer.from(head), body, Buffer.from(tail)]),
    type: `multipart/form-data; boundary=${rng() < 0.97 ? boundary : 'other'}`,
  };
}

/** The `i`th case of a run seeded with `seed`, mutating one of `seeds` (valid image files). */
function fuzzCase(seeds: readonly Uint8Array[], seed: number, i: number): FuzzCase {
  const rng = createRng(seed * 100_003 + i);
  const kind = pick(rng, Object.keys(MUTATIONS));
  const mutate = MUTATIONS[kind] as (rng: Rng, seed: Uint8Array) => Uint8Array;
  const bytes = mutate(rng, pick(rng, seeds));
  const query = pick(rng, ['', 'k=3', 'k=0', 'space=code', 'space=pixel&k=100', 'maxDistance=1', 'k=abc']);
  if (rng() < 0.7) {
    const form = multipart(rng, bytes);
    return { kind: `${kind}/multipart`, body: form.body, headers: { 'content-type': form.type }, query };
  }
  const type = pick(rng, [...TYPES, ...TYPES, ...OTHER_TYPES]);
  return { kind: `${kind}/raw`, body: bytes, headers: type ? { 'content-type': type } : {}, query };
}

/** Sends `count` fuzzed uploads to `url` (the server's root), `concurrency` at a time. */
export async function runFuzz(
  url: string,
  seeds: readonly Uint8Array[],
  options: { count: number; concurrency?: number; seed?: number; onProgress?: (done: number) => void },
): Promise<FuzzReport> {
  const statuses: Record<string, number> = {};
  const failures: FuzzReport['failures'][number][] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.count) {
      const c = fuzzCase(seeds, options.seed ?? 1, next++);
      const target = `${url}api/search${c.query ? `?${c.query}` : ''}`;
      try {
        const res = await fetch(target, { method: 'POST', body: new Uint8Array(c.body), headers: c.headers });
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status >= 500 || res.status < 200 || (res.status >= 300 && res.status < 400))
          failures.push({ kind: c.kind, status: res.status, body: text.slice(0, 300) });
      } catch (err) {
        failures.push({ kind: c.kind, status: 'no answer', body: String((err as Error).cause ?? err) });
      }
      options.onProgress?.(next);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  return { sent: options.count, statuses, failures };
}
