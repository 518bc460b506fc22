/**
 * The load phases: PNG uploads of real dataset items (multipart, field "image") and similar-item queries
 * for random ids, each driven by autocannon at a fixed number of connections for a fixed time, with the
 * server's memory (from /api/health) sampled around them.
 */
import autocannon, { type RequestSpec } from 'autocannon';

/** Figures of one phase. */
export interface PhaseFigures {
  readonly name: string;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Non-2xx answers plus socket errors and timeouts. */
  readonly errors: number;
  readonly statuses: Record<string, number>;
  /** Server CPU per request, when the server's process is known. */
  readonly cpuMsPerRequest: number | null;
}

/** The server's memory and served index, from /api/health. */
export interface HealthFigures {
  readonly items: number;
  readonly index: { readonly id: string };
  readonly memory: { readonly rssBytes: number; readonly heapUsedBytes: number; readonly tensors: number };
}

/** Reads /api/health. */
export async function readHealth(url: string): Promise<HealthFigures> {
  const res = await fetch(`${url}api/health`);
  if (!res.ok) throw new Error(`GET ${url}api/health answered ${res.status}`);
  return (await res.json()) as HealthFigures;
}

const BOUNDARY = 'aesearch-load';

/** The content type of the `uploadPool` bodies. */
export const UPLOAD_CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** Multipart bodies of `count` PNGs of random items, fetched from the server itself. */
export async function uploadPool(url: string, items: number, count = 100): Promise<Buffer[]> {
  const boundary = BOUNDARY;
  const bodies: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const id = Math.floor(Math.random() * items);
    const res = await fetch(`${url}api/items/${id}/image?size=28`);
    const png = Buffer.from(await res.arrayBuffer());
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="${id}.png"\r\nContent-Type: image/png\r\n\r\n`;
    bodies.push(Buffer.concat([Buffer.from(head), png, Buffer.from(`\r\n--${boundary}--\r\n`)]));
  }
  return bodies;
}

/** What a phase sends. */
export type PhaseKind = 'upload' | 'similar';

/** Longest phase when it runs until `until` resolves, in seconds. */
const MAX_OPEN_PHASE_S = 1800;

/**
 * Runs one phase against `url` for `options.seconds`, or, given `until`, until that resolves;
 * `cpuSeconds` reads the server's CPU time when known.
 */
export async function runPhase(
  url: string,
  kind: PhaseKind,
  options: { connections: number; seconds: number; items: number; bodies: Buffer[] },
  cpuSeconds: () => number | null = () => null,
  until?: Promise<unknown>,
): Promise<PhaseFigures> {
  let n = 0;
  const request: RequestSpec =
    kind === 'upload'
      ? {
          method: 'POST',
          path: '/api/search',
          headers: { 'content-type': UPLOAD_CONTENT_TYPE },
          setupRequest: (req) => ({ ...req, body: options.bodies[n++ % options.bodies.length] }),
        }
      : {
          method: 'GET',
          setupRequest: (req) => ({
            ...req,
            path: `/api/items/${Math.floor(Math.random() * options.items)}/similar`,
          }),
        };
  const cpuBefore = cpuSeconds();
  const running = autocannon({
    url,
    connections: options.connections,
    duration: until ? MAX_OPEN_PHASE_S : options.seconds,
    timeout: 30,
    requests: [request],
  });
  void until?.then(() => running.stop());
  const result = await running;
  const cpuAfter = cpuSeconds();
  const requests = result.requests.total;
  const statuses = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]),
  );
  return {
    name: kind === 'upload' ? 'POST /api/search (PNG upload)' : 'GET /api/items/:id/similar',
    seconds: result.duration,
    requestsPerSecond: requests / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    errors: result.non2xx + result.errors + result.timeouts,
    statuses,
    cpuMsPerRequest:
      cpuBefore === null || cpuAfter === null || requests === 0
        ? null
        : ((cpuAfter - cpuBefore) * 1000) / requests,
  };
}
