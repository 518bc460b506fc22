/** A worker for the message-loop tests: echoes texts in order, fails on request or at start. */

import { setImmediate as nextTurn } from 'node:timers/promises';
import { workerData } from 'node:worker_threads';
import { serveWorker } from '../../src/util/worker.js';

/** Main thread -> echo worker. */
export type EchoRequest = { type: 'echo'; text: string; turns: number } | { type: 'fail'; text: string };

/** Echo worker -> main thread. */
export type EchoReply =
  | { type: 'ready' }
  | { type: 'echo'; text: string; count: number }
  | { type: 'error'; message: string };

serveWorker<EchoRequest, EchoReply, { count: number }>({
  name: 'echo-worker',
  start: async (reply) => {
    await nextTurn();
    if ((workerData as { failStart?: boolean } | null)?.failStart) throw new Error('start failed');
    reply({ type: 'ready' });
    return { count: 0 };
  },
  handle: async (state, msg, reply) => {
    if (msg.type === 'fail') throw new Error(`failed on ${msg.text}`);
    // a slow message must still be answered before the quick one sent after it
    for (let t = 0; t < msg.turns; t++) await nextTurn();
    state.count++;
    reply({ type: 'echo', text: msg.text, count: state.count });
  },
});
