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

/**
 * Starts a raw image/png upload of `png` to `url` + `api/search?k=2` but sends only its first `headBytes`
 * bytes; `finish` sends the rest and resolves with the response.
 */
export function slowUpload(url: string, png: Buffer, headBytes = 10): { finish(): Promise<RawResponse> } {
  const { hostname, port } = new URL(url);
  let rest = () => {};
  const response = new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      {
        hostname,
        port,
        path: '/api/search?k=2',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'image/png', 'content-length': png.length },
      },
      (res) => resolve(readResponse(res)),
    );
    req.on('error', reject);
    req.write(png.subarray(0, headBytes));
    rest = () => req.end(png.subarray(headBytes));
  });
  return {
    finish: () => {
      rest();
      return response;
    },
  };
}

/** How many searches the server at `url` has in flight, from /api/health. */
export async function searchesInFlight(url: string): Promise<number> {
  const health = (await (await fetch(`${url}api/health`)).json()) as { queue: { inFlight: number } };
  return health.queue.inFlight;
}
