#!/usr/bin/env node
/**
 * Costly images in a loop against a started server (`aesearch start`, one process unless --workers):
 * how long ordinary uploads take meanwhile (p50, p99, max) and whether the server's RSS stays flat.
 * Four phases of --duration seconds each: ordinary uploads alone; with 4 clients sending the 16-bit
 * interlaced 6,000 x 6,000 PNG of the issue (refused from its header); with 4 clients sending costly
 * images the budget admits (a progressive 6,300 x 6,300 JPEG, an 8-bit interlaced 6,000 x 6,000 PNG, a
 * 6,000 x 6,000 GIF, in turn); ordinary uploads alone again. The RSS is sampled every second; while
 * the costly lane is busy it holds one decode's memory, so the lowest samples show whether it grows.
 * Run: `npm run build && node dist/src/bench/costly-load.js`.
 */
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Command } from 'commander';
import sharp from 'sharp';
import { readHealth } from './load-run.js';
import { type ServerChild, startServerChild } from './serve-child.js';

interface Flags {
  url?: string;
  duration: number;
  indexDir?: string;
  workers: string;
  costlyClients: number;
  costlyDuration?: number;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function flat(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: { r: 200, g: 190, b: 180 } } });
}

/** The costly images, made here (flat colour: small files, full decoding cost). */
async function costlyImages() {
  log('making the costly images');
  return {
    png16i: await flat(6000, 6000).toColourspace('rgb16').png({ progressive: true }).toBuffer(),
    admitted: [
      await flat(6300, 6300).jpeg({ progressive: true }).toBuffer(),
      await flat(6000, 6000).png({ progressive: true }).toBuffer(),
      await flat(6000, 6000).gif().toBuffer(),
    ],
  };
}

async function post(url: string, bytes: Buffer): Promise<number> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)]), 'q');
  const res = await fetch(`${url}api/search?k=10`, { method: 'POST', body: form });
  await res.arrayBuffer();
  return res.status;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

/** Runs `clients` loops of `send` until `stop`; collects statuses and (for ordinary ones) latencies. */
async function loops(
  clients: number,
  stop: () => boolean,
  send: (i: number) => Promise<number>,
  pauseMs = 0,
) {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = c; !stop(); i += clients) {
        const started = performance.now();
        const status = await send(i).catch(() => 0);
        latencies.push(performance.now() - started);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), statuses };
}

async function phase(
  name: string,
  url: string,
  flags: Flags,
  ordinary: Buffer[],
  costly: Buffer[],
  rss: () => Promise<number>,
): Promise<void> {
  const end = performance.now() + flags.duration * 1000;
  const stop = () => performance.now() >= end;
  const samples: number[] = [];
  const sampler = setInterval(() => void rss().then((r) => samples.push(r)), 1000);
  // Ordinary uploads: 2 clients, each pausing 50 ms between uploads (a steady 20-40 uploads/s, not a flood).
  const [normal, heavy] = await Promise.all([
    loops(2, stop, (i) => post(url, ordinary[i % ordinary.length] as Buffer), 50),
    costly.length === 0
      ? undefined
      : loops(flags.costlyClients, stop, (i) => post(url, costly[i % costly.length] as Buffer)),
  ]);
  clearInterval(sampler);
  const l = normal.latencies;
  // The lowest sample of each tenth of the phase: a busy costly lane always holds one decode's memory,
  // so growth shows in these, not in single samples.
  const parts = Math.min(10, samples.length);
  const n = samples.length;
  const troughs = Array.from({ length: parts }, (_, i) =>
    Math.min(...samples.slice(Math.floor((i * n) / parts), Math.floor(((i + 1) * n) / parts))),
  );
  process.stdout.write(
    `${name}: ordinary uploads ${l.length} (${JSON.stringify(normal.statuses)}), p50 ${percentile(l, 50).toFixed(0)} ms, ` +
      `p99 ${percentile(l, 99).toFixed(0)} ms, max ${percentile(l, 100).toFixed(0)} ms` +
      (heavy
        ? `; costly uploads ${heavy.latencies.length} (${JSON.stringify(heavy.statuses)}), p50 ${percentile(heavy.latencies, 50).toFixed(0)} ms`
        : '') +
      `; server RSS ${mb(samples[0] ?? 0)} -> ${mb(samples.at(-1) ?? 0)}, min ${mb(Math.min(...samples))} max ${mb(Math.max(...samples))}, ` +
      `lowest per tenth ${troughs.map((t) => (t / 2 ** 20).toFixed(0)).join(' ')} MB\n`,
  );
}

async function main(flags: Flags): Promise<void> {
  log(`machine: ${cpus().length} x ${cpus()[0]?.model}, load average ${loadavg()[0]?.toFixed(1)}`);
  const images = await costlyImages();
  let server: ServerChild | undefined;
  if (!flags.url) {
    const args = ['--workers', flags.workers, ...(flags.indexDir ? ['--index-dir', flags.indexDir] : [])];
    const workers = flags.workers === 'auto' ? availableParallelism() : Number(flags.workers);
    server = await startServerChild(args, workers);
  }
  const url = flags.url ?? server?.url ?? '';
  const rss = async () => server?.figures()?.rssBytes ?? (await readHealth(url)).memory.rssBytes;
  try {
    const { items } = await readHealth(url);
    const ordinary: Buffer[] = [];
    for (let i = 0; i < 50; i++) {
      const res = await fetch(`${url}api/items/${Math.floor(Math.random() * items)}/image?size=28`);
      ordinary.push(Buffer.from(await res.arrayBuffer()));
    }
    await phase('warm-up', url, { ...flags, duration: 5 }, ordinary, [], rss);
    await phase('ordinary uploads alone', url, flags, ordinary, [], rss);
    await phase('with the 16-bit interlaced PNG in a loop', url, flags, ordinary, [images.png16i], rss);
    const costlyFlags = { ...flags, duration: flags.costlyDuration ?? flags.duration };
    await phase('with admitted costly images in a loop', url, costlyFlags, ordinary, images.admitted, rss);
    await phase('ordinary uploads alone, after', url, flags, ordinary, [], rss);
    log(`load average at the end ${loadavg()[0]?.toFixed(1)} (other processes share these cores)`);
  } finally {
    await server?.stop();
  }
}

const program = new Command()
  .name('costly-load')
  .description('ordinary upload latency and server RSS while clients send costly images in a loop')
  .option('--url <url>', 'an already running server (default: start one with aesearch start)')
  .option('--duration <s>', 'seconds per phase', (v) => Number(v), 30)
  .option(
    '--costly-duration <s>',
    'seconds of the phase with admitted costly images (default: --duration)',
    Number,
  )
  .option('--index-dir <dir>', 'index folder of the started server')
  .option('--workers <n>', 'server processes of the started server', '1')
  .option('--costly-clients <n>', 'clients sending costly images', (v) => Number(v), 4);
program.parse();
const flags = program.opts<Flags>();
const url = flags.url && !flags.url.endsWith('/') ? `${flags.url}/` : flags.url;
await main({ ...flags, ...(url ? { url } : {}) });
