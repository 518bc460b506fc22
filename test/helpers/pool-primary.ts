/**
 * A cluster primary for the worker-pool test, run as its own process: its one worker says it listens, then
 * leaves the IPC channel but lives on (as a closing worker does); the primary passes a reload to it and
 * closes it, then prints `primary alive` and exits 0. A send that raised an unheard 'error' would end it
 * with an uncaught exception instead.
 */
import cluster from 'node:cluster';
import { WorkerPool } from '../../src/server/worker-pool.js';

if (cluster.isWorker) {
  process.send?.({ type: 'listening', url: 'http://127.0.0.1:1/' });
  cluster.worker?.disconnect();
  // Lives on without the channel until the primary's SIGTERM.
  setTimeout(() => {}, 60_000);
} else {
  cluster.setupPrimary({ silent: true });
  const pool = new WorkerPool((line) => process.stderr.write(`${line}\n`));
  const left = new Promise((resolve) => cluster.once('disconnect', resolve));
  await pool.start(false);
  pool.serving = true;
  await left;
  pool.broadcast({ type: 'reload', trigger: 'the test' });
  await new Promise((resolve) => setImmediate(resolve));
  await pool.close('SIGTERM');
  process.stdout.write('primary alive\n');
}
