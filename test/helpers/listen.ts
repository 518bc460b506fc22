/**
 * Real sockets for the hardening tests: an express app listening on a free port, raw HTTP requests
 * whose path goes out exactly as written (fetch and supertest would normalise `..` away), and uploads
 * whose body arrives in two parts.
 */
import { request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { Express } from 'express';
import { listen, serverUrl } from '../../src/server/serve.js';

/** A listening app; `close` ends idle and busy connections. */
export interface Listening {
  readonly server: Server;
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on 127.0.0.1 at a free port. */
export async function listenApp(app: Express): Promise<Listening> {
  const server = await listen(app, 0, '127.0.0.1');
  return {
    server,
    url: serverUrl(server),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

/** A raw response. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function readResponse(res: IncomingMessage): Promise<RawResponse> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      body += d;
    });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
  });
}

/** Sends one request with `path` untouched. */
export function rawRequest(
  url: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Uint8Array } = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: options.method ?? 'GET', headers: options.headers, agent: false },
      (res) => resolve(readResponse(res)),
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An upload whose body is held back: its answer, its socket's end, and the rest of the body on demand. */
export interface HeldUpload {
  /** Sends the rest of the body and resolves with the response. */
  finish(): Promise<RawResponse>;
  /** Sends the next `bytes` bytes of the body (not the last one). */
  more(bytes: number): void;
  /** The response, whenever it comes (before the body is complete, for a refusal). */
  readonly response: Promise<RawResponse>;
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>;
  /** True once a response has arrived. */
  answered(): boolean;
}

/**
 * Starts a raw image/png upload of `png` to `url` + `api/search?k=2` but sends only its first `headBytes`
 * bytes; `finish` sends the rest. `localAddress` (a 127.x.y.z address on Linux) makes it come from
 * another client address.
 */
export function slowUpload(url: string, png: Buffer, headBytes = 10, localAddress?: string): HeldUpload {
  const { hostname, port } = new URL(url);
  let rest = () => {};
  let more = (_bytes: number) => {};
  let sent = headBytes;
  let answered = false;
  let onClosed = () => {};
  const closed = new Promise<void>((resolve) => {
    onClosed = resolve;
  });
  const response = new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      {
        hostname,
        port,
        path: '/api/search?k=2',
        method: 'POST',
        agent: false,
        localAddress,
        headers: { 'content-type': 'image/png', 'content-length': png.length },
      },
      (res) => {
        answered = true;
        resolve(readResponse(res));
      },
    );
    req.on('error', reject);
    req.on('socket', (socket) => socket.once('close', () => onClosed()));
    req.write(png.subarray(0, headBytes));
    more = (bytes) => {
      const upTo = Math.min(sent + bytes, png.length - 1);
      req.write(png.subarray(sent, upTo));
      sent = upTo;
    };
    rest = () => req.end(png.subarray(sent));
  });
  // A refused upload's socket may be reset while the test still holds the rest back.
  response.catch(() => {});
  return {
    finish: () => {
      rest();
      return response;
    },
    more: (bytes) => more(bytes),
    response,
    closed,
    answered: () => answered,
  };
}

/** How many searches the server at `url` has in flight, from /api/health. */
export async function searchesInFlight(url: string): Promise<number> {
  const health = (await (await fetch(`${url}api/health`)).json()) as { queue: { inFlight: number } };
  return health.queue.inFlight;
}

/** Uploads the server at `url` is receiving or answering, and their bytes so far, from /api/health. */
export async function uploadsInFlight(url: string): Promise<{ count: number; bytes: number }> {
  const health = (await (await fetch(`${url}api/health`)).json()) as {
    uploads?: { inFlight: number; bytes: number };
  };
  return { count: health.uploads?.inFlight ?? 0, bytes: health.uploads?.bytes ?? 0 };
}

/** Polls at most this many times, 20 ms apart, before a wait gives up. */
const MAX_POLLS = 1500;

/** Waits until `condition` holds; fails, naming `what`, when it still does not after MAX_POLLS polls. */
export async function until(what: string, condition: () => Promise<boolean> | boolean): Promise<void> {
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    if (await condition()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}
