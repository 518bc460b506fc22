/**
 * A PostgreSQL with pgvector for tests, reached through `pg` over TCP exactly as a real server: PGlite
 * with its vector extension behind pglite-socket on 127.0.0.1 and a free port, or, when
 * AESEARCH_TEST_PG_URL is set, a fresh schema on that server behind a TCP relay (so that `stop` and
 * `restart` can make the database go away and come back there too).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';

/** A running test database. */
export interface TestPg {
  /** `postgres://` URL of the database. */
  readonly url: string;
  /** `host:port`, as STORE_UNREACHABLE names it. */
  readonly host: string;
  /** Makes the database unreachable (connections dropped, nothing listening); its data is kept. */
  stop(): Promise<void>;
  /** Brings it back on the same port with the same data. */
  restart(): Promise<void>;
  /** Stops it for good and frees everything. */
  close(): Promise<void>;
}

/** Listens `server` on 127.0.0.1:`port` (0: a free port); returns the port. */
function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

/** PGlite (in memory) with pgvector behind pglite-socket. */
async function startPglite(): Promise<TestPg> {
  const db = await PGlite.create({ extensions: { vector } });
  // pglite-socket runs one statement at a time and keeps a transaction's statements together, so a
  // pool of several connections is safe; its default of one connection would refuse a pool's second.
  const serve = async (port: number) => {
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 64 });
    await server.start();
    return server;
  };
  let server: PGLiteSocketServer | null = await serve(0);
  const host = server.getServerConn();
  const port = Number(host.split(':')[1]);
  return {
    url: `postgres://postgres:postgres@${host}/postgres`,
    host,
    async stop() {
      await server?.stop();
      server = null;
    },
    async restart() {
      server ??= await serve(port);
    },
    async close() {
      await server?.stop();
      server = null;
      await db.close();
    },
  };
}

/** A TCP relay from a free local port to `target`, which can drop every connection and stop listening. */
async function startRelay(target: { host: string; port: number }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  const open = async (port: number) => {
    server = createServer((client) => {
      const upstream = tcpConnect(target.port, target.host);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    return listen(server, port);
  };
  const port = await open(0);
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (server) server.close(() => resolve());
      else resolve();
      server = null;
    });
  return { port, stop, restart: async () => void (server ?? (await open(port))) };
}

/** A fresh schema on the real server at `base`, reached through a relay. */
async function startReal(base: string): Promise<TestPg> {
  const schema = `aesearch_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query('CREATE EXTENSION IF NOT EXISTS vector');
  await admin.query(`CREATE SCHEMA ${schema}`);
  const target = new URL(base);
  const relay = await startRelay({ host: target.hostname, port: Number(target.port || 5432) });
  const url = new URL(base);
  url.hostname = '127.0.0.1';
  url.port = String(relay.port);
  url.searchParams.set('options', `-c search_path=${schema},public`);
  return {
    url: url.toString(),
    host: `127.0.0.1:${relay.port}`,
    stop: relay.stop,
    restart: relay.restart,
    async close() {
      await relay.stop();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** Starts a test database: a real one when AESEARCH_TEST_PG_URL is set, else PGlite. */
export function startPg(): Promise<TestPg> {
  const real = process.env.AESEARCH_TEST_PG_URL;
  return real ? startReal(real) : startPglite();
}
