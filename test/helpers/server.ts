/**
 * The real server in the test process: `startServer` (listen on a free port, watch the index folder,
 * reload) on an index folder, with its log lines captured; and a loop of searches to run against it.
 */

import { loadConfig } from '../../src/config.js';
import { openService } from '../../src/search/open-service.js';
import { type RunningServer, startServer } from '../../src/server/serve.js';
import { TEST_DATA_PATH } from './fixtures.js';
import { TEST_BACKEND } from './http.js';

/** A running server and what it logged (but for the per-request lines). */
export interface TestServer extends RunningServer {
  readonly lines: string[];
}

/** Opens the index in `indexDir` (or the PostgreSQL store `settings.store`) and serves it on 127.0.0.1 at a free port. */
export async function startTestServer(
  indexDir: string,
  settings: { adminToken?: string; queueLimit?: number; store?: string } = {},
): Promise<TestServer> {
  const config = loadConfig(
    { indexDir, dataPath: TEST_DATA_PATH, port: 0, host: '127.0.0.1', ...settings },
    {},
  );
  const lines: string[] = [];
  const service = await openService(config);
  // Request lines are left out: thousands of them would read as a leak in the memory checks.
  const keep = (line: string) => {
    if (!/^[A-Z]+ \/\S* (\d{3}|aborted) /.test(line)) lines.push(line);
  };
  const running = await startServer(service, config, TEST_BACKEND, { log: keep });
  return { ...running, lines };
}

/** What a search loop saw. */
export interface LoopReport {
  readonly ok: number;
  /** Status and body of every answer that was not 200, and every request that got no answer. */
  readonly failures: string[];
  /** Index ids (from the query's served index) seen, in order of first appearance. */
  readonly indexes: string[];
}

/**
 * Runs `clients` loops of searches (an upload of `png`, then a similar-items query) against `url` until
 * `stop` resolves, then reports; each loop also asks /api/health which index answered.
 */
export async function searchLoop(
  url: string,
  png: Buffer,
  stop: Promise<unknown>,
  clients = 4,
): Promise<LoopReport> {
  let done = false;
  void stop.finally(() => {
    done = true;
  });
  let ok = 0;
  const failures: string[] = [];
  const indexes: string[] = [];
  const check = async (res: Response) => {
    if (res.status === 200) ok++;
    else failures.push(`${res.status} ${await res.text()}`);
    await res.arrayBuffer().catch(() => undefined);
  };
  const client = async () => {
    while (!done) {
      try {
        const form = new FormData();
        form.append('image', new Blob([new Uint8Array(png)]), 'q.png');
        await check(await fetch(`${url}api/search?k=3`, { method: 'POST', body: form }));
        await check(await fetch(`${url}api/items/${ok % 50}/similar?k=3`));
        const health = (await (await fetch(`${url}api/health`)).json()) as { index: { id: string } };
        if (!indexes.includes(health.index.id)) indexes.push(health.index.id);
      } catch (err) {
        failures.push(`no answer: ${String((err as Error).cause ?? err)}`);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  return { ok, failures, indexes };
}
