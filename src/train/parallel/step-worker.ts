/**
 * Worker thread of the data-parallel runner: holds a copy of the model (no optimiser), loads the weights
 * the main thread publishes, and computes the gradients of its rows of each batch. Protocol: see
 * `ToWorker` / `FromWorker` and `CONTROL`.
 */
import { workerData } from 'node:worker_threads';
import { type ArchConfig, type Autoencoder, buildAutoencoder } from '../../model/architectures/index.js';
import { initBackend } from '../../tfjs/backend.js';
import { type Reply, serveWorker } from '../../util/worker.js';
import { CONTROL, type FromWorker, type ToWorker, type WorkerSetup } from './protocol.js';
import { assignVariables, flatLayout, gradientsInto } from './replica.js';

/** How long one blocking wait lasts before the worker looks at the shutdown flag again. */
const WAIT_SLICE_MS = 200;

/** Offset of the VAE's sampling seed in the worker, so its rows get their own noise, not a copy of the main thread's. */
const VAE_WORKER_SEED_OFFSET = 7919;

const setup = workerData as WorkerSetup;
const control = new Int32Array(setup.control);
const layout = flatLayout(setup.shapes);
const weights = new Float32Array(setup.weights);
const grads = new Float32Array(setup.grads);
let loadedVersion = 0;

// The weights come from the main thread, so the seed only changes the VAE's random draws.
function workerArch(arch: ArchConfig): ArchConfig {
  return arch.arch === 'vae' ? { ...arch, seed: arch.seed + VAE_WORKER_SEED_OFFSET } : arch;
}

async function start(reply: Reply<FromWorker>): Promise<Autoencoder> {
  await initBackend(setup.backend);
  const model = buildAutoencoder(workerArch(setup.arch));
  const shapes = JSON.stringify(model.variables.map((v) => v.shape));
  if (shapes !== JSON.stringify(setup.shapes))
    throw new Error(
      `The worker's model has variables ${shapes} but the main thread's has ${JSON.stringify(setup.shapes)}`,
    );
  Atomics.store(control, CONTROL.started, 1);
  reply({ type: 'started' });
  return model;
}

/** Blocks until control[index] >= atLeast; false when the runner shut down or gave step `seq` up. */
function waitFor(index: number, atLeast: number, seq: number): boolean {
  for (;;) {
    if (Atomics.load(control, CONTROL.shutdown) === 1) return false;
    if (Atomics.load(control, CONTROL.abortSeq) >= seq) return false;
    const now = Atomics.load(control, index);
    if (now >= atLeast) return true;
    Atomics.wait(control, index, now, WAIT_SLICE_MS);
  }
}

/** Loads weights `version` (double-buffered by parity) unless already loaded; false if step `seq` was given up. */
function loadWeights(model: Autoencoder, version: number, seq: number): boolean {
  if (loadedVersion === version) return true;
  if (!waitFor(CONTROL.weightsVersion, version, seq)) return false;
  const slot = (version % 2) * layout.total;
  assignVariables(model, layout, weights.subarray(slot, slot + layout.total));
  loadedVersion = version;
  return true;
}

function step(model: Autoencoder, msg: Extract<ToWorker, { type: 'step' }>, reply: Reply<FromWorker>): void {
  if (!loadWeights(model, msg.weightsVersion, msg.seq)) return;
  let loss = Number.NaN;
  if (msg.rows > 0) {
    const batch = { n: msg.rows, input: msg.input, target: msg.target ?? msg.input, labels: msg.labels };
    loss = gradientsInto(model, batch, msg.weight, layout, grads);
  }
  Atomics.store(control, CONTROL.gradsSeq, msg.seq);
  reply({ type: 'grads', seq: msg.seq, loss });
  // the main thread publishes the updated weights next: load them while its trainer prepares a batch
  loadWeights(model, msg.weightsVersion + 1, msg.seq);
}

async function handle(model: Autoencoder, msg: ToWorker, reply: Reply<FromWorker>): Promise<void> {
  if (msg.type === 'step') {
    step(model, msg, reply);
    return;
  }
  // copied, not transferred: on the cpu backend these arrays are the variables' own storage
  const variables = await Promise.all(model.variables.map(async (v) => (await v.data()) as Float32Array));
  reply({ type: 'weights', variables });
}

serveWorker<ToWorker, FromWorker, Autoencoder>({ name: 'step-worker', start, handle });
