#!/usr/bin/env node
/**
 * `npm run pglite -- --port 5432 --dir ./pgdata`: a PostgreSQL with pgvector in one command, with no
 * server to install: PGlite (PostgreSQL compiled to WebAssembly) keeping its data in --dir, served over
 * the wire protocol by pglite-socket. Prints the URL for --store / AESEARCH_STORE; Ctrl-C stops it
 * cleanly (the data stays in --dir). For trying and testing the PostgreSQL store: one WebAssembly
 * backend runs every query in turn, so a real PostgreSQL serves many servers far faster.
 */
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Command } from 'commander';
import { createError } from '../errors.js';

/** Connections served at once (a pool per aesearch process); pglite-socket's default is one. */
const MAX_CONNECTIONS = 64;

interface Flags {
  port: number;
  host: string;
  dir: string;
}

function parsePort(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw createError('BAD_OPTION', { name: '--port', expected: 'a port number 0-65535', got: value });
  return port;
}

async function main(flags: Flags): Promise<void> {
  const dir = resolve(flags.dir);
  const db = await PGlite.create({ dataDir: dir, extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  const server = new PGLiteSocketServer({
    db,
    host: flags.host,
    port: flags.port,
    maxConnections: MAX_CONNECTIONS,
  });
  try {
    await server.start();
  } catch (err) {
    await db.close();
    if ((err as { code?: string }).code === 'EADDRINUSE')
      throw createError('PORT_IN_USE', { host: flags.host, port: flags.port });
    throw err;
  }
  const url = `postgres://postgres:postgres@${server.getServerConn()}/postgres`;
  process.stdout.write(`${url}\n`);
  process.stderr.write(
    `PGlite with pgvector, data in ${dir}, serving ${url}\n` +
      `use it with --store ${url} (or AESEARCH_STORE=${url}); Ctrl-C stops it\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await server.stop();
    await db.close();
    process.stderr.write('PGlite stopped; the data stays in the folder\n');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

const program = new Command('pglite')
  .description('Serve PGlite with pgvector over the PostgreSQL wire protocol, for --store')
  .option('--port <port>', 'port to listen on (0: a free one)', parsePort, 5432)
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--dir <dir>', 'folder for the database files (made when absent)', './pgdata')
  .parse();

main(program.opts<Flags>()).catch((err: Error) => {
  process.stderr.write(`${err.message}\n`);
  process.exitCode = 1;
});
