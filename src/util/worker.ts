/**
 * Starts a worker thread from a module URL. Compiled code runs `.js` files directly; under tsx (tests,
 * `node --import tsx`) the module is `.ts`, and Node 20 does not pass tsx's loader hooks to workers, so the
 * worker first registers tsx itself.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

/** The URL of a sibling module of `base` (an import.meta.url), with the extension `base` itself has. */
export function siblingModule(base: string, name: string): URL {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`./${name}${ext}`, base);
}

/** Starts `moduleUrl` in a worker thread. */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const api = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(moduleUrl.href)}); })`;
  return new Worker(boot, { ...options, eval: true });
}
