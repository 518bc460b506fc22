/**
 * Worker threads, both sides. `startWorker` starts one from a module URL: compiled code runs `.js` files
 * directly; under tsx (tests, `node --import tsx`) the module is `.ts`, and Node 20 does not pass tsx's
 * loader hooks to workers, so the worker first registers tsx itself. `serveWorker` is the message loop
 * inside one.
 */
import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads';

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

/** Posts one message of a worker's protocol to the main thread, with the buffers to transfer. */
export type Reply<Out> = (message: Out, transfer?: ArrayBuffer[]) => void;

/** A worker thread's side of its protocol, for `serveWorker`. */
export interface WorkerService<In, Out, State> {
  /** Names the worker in the error thrown when its module runs outside a worker thread. */
  readonly name: string;
  /** Prepares the worker (backend, model, index state); runs once, before any message is handled. */
  start(reply: Reply<Out>): Promise<State> | State;
  /** Handles one message from the main thread. */
  handle(state: State, message: In, reply: Reply<Out>): Promise<void> | void;
}

/**
 * Runs `service` in this worker thread: starts it, then handles messages strictly in order, each after
 * the previous one and after start-up. A failed start or handler is posted as `{ type: 'error', message }`,
 * which every protocol's replies include (a failed start once, then again for each message). Throws when
 * not in a worker thread.
 */
export function serveWorker<In, Out, State>(service: WorkerService<In, Out, State>): void {
  const port = parentPort;
  if (!port) throw new Error(`${service.name} must run in a worker thread`);
  const reply: Reply<Out> = (message, transfer = []) => port.postMessage(message, transfer);
  const fail = (err: unknown) =>
    port.postMessage({ type: 'error', message: err instanceof Error ? err.message : String(err) });
  const ready = (async () => service.start(reply))();
  ready.catch(fail);
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (message: In) => {
    queue = queue.then(async () => service.handle(await ready, message, reply)).catch(fail);
  });
}
