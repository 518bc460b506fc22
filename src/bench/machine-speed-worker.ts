/**
 * Worker thread of the machine-speed figure: selects the wasm backend, trains the reference model as
 * its workerData says, posts the result once (see machine-speed.ts).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { initBackend } from '../tfjs/backend.js';
import { type MachineSpeedReply, type MachineSpeedSettings, trainReference } from './machine-speed.js';

const post = (reply: MachineSpeedReply) => parentPort?.postMessage(reply);

try {
  await initBackend('wasm');
  post({ type: 'result', speed: await trainReference(workerData as MachineSpeedSettings) });
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err) });
}
