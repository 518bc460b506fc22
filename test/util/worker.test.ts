/** The worker message loop, in a real worker thread: order, replies, errors from handlers and from start. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { serveWorker, startWorker } from '../../src/util/worker.js';
import type { EchoReply, EchoRequest } from '../helpers/echo-worker.js';

/** The next `n` messages of `worker`. */
function replies(worker: Worker, n: number): Promise<EchoReply[]> {
  return new Promise((resolve, reject) => {
    const got: EchoReply[] = [];
    const onMessage = (msg: EchoReply) => {
      got.push(msg);
      if (got.length < n) return;
      worker.off('message', onMessage);
      worker.off('error', reject);
      resolve(got);
    };
    worker.on('message', onMessage);
    worker.on('error', reject);
  });
}

function echoWorker(workerData: unknown = null): Worker {
  return startWorker(new URL('../helpers/echo-worker.ts', import.meta.url), { workerData });
}

describe('serveWorker', () => {
  it('starts, then answers every message in the order sent, and reports a failed one as an error', async () => {
    const worker = echoWorker();
    try {
      const got = replies(worker, 5);
      const send = (msg: EchoRequest) => worker.postMessage(msg);
      send({ type: 'echo', text: 'slow', turns: 20 });
      send({ type: 'fail', text: 'bad' });
      send({ type: 'echo', text: 'quick', turns: 0 });
      send({ type: 'echo', text: 'last', turns: 3 });
      assert.deepEqual(await got, [
        { type: 'ready' },
        { type: 'echo', text: 'slow', count: 1 },
        { type: 'error', message: 'failed on bad' },
        { type: 'echo', text: 'quick', count: 2 },
        { type: 'echo', text: 'last', count: 3 },
      ]);
    } finally {
      await worker.terminate();
    }
  });

  it('reports a failed start once, and again for each message', async () => {
    const worker = echoWorker({ failStart: true });
    try {
      const got = replies(worker, 2);
      worker.postMessage({ type: 'echo', text: 'hello', turns: 0 } satisfies EchoRequest);
      assert.deepEqual(await got, [
        { type: 'error', message: 'start failed' },
        { type: 'error', message: 'start failed' },
      ]);
    } finally {
      await worker.terminate();
    }
  });

  it('refuses to run outside a worker thread', () => {
    assert.throws(() => serveWorker({ name: 'some-worker', start: () => null, handle: () => {} }), {
      message: 'some-worker must run in a worker thread',
    });
  });
});
