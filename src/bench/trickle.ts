/**
 * The slow-client check of `npm run load -- --trickle 64`: that many uploads, each from its own 127.x.y.z
 * address (Linux routes all of 127/8 to the loopback, so the per-address cap does not refuse them), send
 * their body one byte a second; meanwhile normal uploads go one after another, timed. It reports how the
 * normal uploads were answered and how long they took, then when and how the trickling ones were.
 */
import { request } from 'node:http';

/** What the check saw. */
export interface TrickleFigures {
  readonly trickling: number;
  /** Statuses of the normal uploads. */
  readonly normalStatuses: Record<string, number>;
  readonly normalP50Ms: number;
  readonly normalMaxMs: number;
  /** Trickling uploads not yet answered when the last normal upload was. */
  readonly stillTrickling: number;
  /** Statuses of the trickling uploads (`reset` when the connection closed without one). */
  readonly tricklingStatuses: Record<string, number>;
  /** Seconds from a trickling upload's start to its answer: the first and the last. */
  readonly answeredAfterS: readonly [number, number];
}

/** Longest wait for the trickling uploads to be answered, in ms: past the server's default 60 s bound. */
const MAX_WAIT_MS = 90_000;

interface Trickler {
  answered: Promise<{ status: string; afterS: number }>;
  done: boolean;
  /** Gives up on it: its status becomes `none`. */
  stop(): void;
}

/** The i-th address of 127/8 after 127.0.0.1. */
function loopbackAddress(i: number): string {
  return `127.${Math.floor(i / 62_500) % 256}.${Math.floor(i / 250) % 250}.${2 + (i % 250)}`;
}

function trickle(url: string, body: Buffer, contentType: string, i: number): Trickler {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  const t: Trickler = { answered: Promise.resolve({ status: '', afterS: 0 }), done: false, stop: () => {} };
  t.answered = new Promise((resolve) => {
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    const end = (status: string) => {
      if (t.done) return;
      t.done = true;
      clearInterval(timer);
      req.destroy();
      resolve({ status, afterS: (performance.now() - started) / 1000 });
    };
    const req = request(
      {
        hostname,
        port,
        path: '/api/search',
        method: 'POST',
        agent: false,
        localAddress: loopbackAddress(i),
        headers: { 'content-type': contentType, 'content-length': body.length },
      },
      (res) => {
        res.resume();
        end(String(res.statusCode));
      },
    );
    req.on('error', () => end('reset'));
    t.stop = () => end('none');
    const next = () => {
      if (sent < body.length - 1) req.write(body.subarray(sent, ++sent));
    };
    next();
    timer = setInterval(next, 1000);
  });
  return t;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/**
 * Starts `count` trickling uploads of `body` (multipart, `contentType`) to `url`, then sends `normals`
 * normal uploads one after another and times them; resolves once every trickling upload is answered.
 */
export async function runTrickle(
  url: string,
  count: number,
  body: Buffer,
  contentType: string,
  normals = 20,
): Promise<TrickleFigures> {
  const tricklers = Array.from({ length: count }, (_, i) => trickle(url, body, contentType, i));
  // Their headers and first byte reach the server well within this.
  await new Promise((r) => setTimeout(r, 1000));
  const normalStatuses: Record<string, number> = {};
  const ms: number[] = [];
  for (let i = 0; i < normals; i++) {
    const started = performance.now();
    const res = await fetch(`${url}api/search`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: new Uint8Array(body),
    });
    await res.arrayBuffer();
    ms.push(performance.now() - started);
    normalStatuses[res.status] = (normalStatuses[res.status] ?? 0) + 1;
  }
  const stillTrickling = tricklers.filter((t) => !t.done).length;
  const timeout = new Promise<void>((r) => setTimeout(r, MAX_WAIT_MS).unref());
  await Promise.race([Promise.all(tricklers.map((t) => t.answered)), timeout]);
  for (const t of tricklers) t.stop();
  const answers = await Promise.all(tricklers.map((t) => t.answered));
  const tricklingStatuses: Record<string, number> = {};
  for (const a of answers) tricklingStatuses[a.status] = (tricklingStatuses[a.status] ?? 0) + 1;
  const after = answers.filter((a) => a.status !== 'none').map((a) => a.afterS);
  ms.sort((a, b) => a - b);
  return {
    trickling: count,
    normalStatuses,
    normalP50Ms: percentile(ms, 50),
    normalMaxMs: ms.at(-1) ?? 0,
    stillTrickling,
    tricklingStatuses,
    answeredAfterS: [Math.min(...after), Math.max(...after)],
  };
}
