/**
 * The decode slots by order of events, not time: a costly decode never takes the last slot, so ordinary
 * decodes go on while it runs; a second costly decode waits for the first even with a slot free; past
 * the costly line's bound one is refused at once with DECODE_BUSY; and no more than `slots` run at once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isAesearchError } from '../../src/errors.js';
import { DecodeSlots } from '../../src/image/decode-slots.js';

/** A job that runs until `finish()` is called, recording its start and end in `events`. */
function job(name: string, events: string[]) {
  let finish = () => {};
  const done = new Promise<void>((r) => {
    finish = r;
  });
  return {
    finish,
    work: async () => {
      events.push(`start ${name}`);
      await done;
      events.push(`end ${name}`);
      return name;
    },
  };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('DecodeSlots', () => {
  it('lets ordinary decodes through while a costly one holds its slot', async () => {
    const slots = new DecodeSlots({ slots: 2, costlySlots: 1, costlyWaiting: 4 });
    const events: string[] = [];
    const costly = job('costly', events);
    const costlyRun = slots.run(true, 'a costly image', costly.work);
    await turn();
    assert.deepEqual(slots.state, { running: 1, costlyRunning: 1, waiting: 0, costlyWaiting: 0 });
    for (const name of ['a', 'b', 'c']) {
      const normal = job(name, events);
      const run = slots.run(false, 'an image', normal.work);
      await turn();
      assert.equal(events.at(-1), `start ${name}`, 'started while the costly decode runs');
      normal.finish();
      assert.equal(await run, name);
    }
    assert.deepEqual(events, ['start costly', 'start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    costly.finish();
    assert.equal(await costlyRun, 'costly');
  });

  it('makes a second costly decode wait for the first, even with a slot free', async () => {
    const slots = new DecodeSlots({ slots: 2, costlySlots: 1, costlyWaiting: 4 });
    const events: string[] = [];
    const first = job('first', events);
    const second = job('second', events);
    const runs = [slots.run(true, 'x', first.work), slots.run(true, 'y', second.work)];
    await turn();
    assert.deepEqual(slots.state, { running: 1, costlyRunning: 1, waiting: 1, costlyWaiting: 1 });
    const normal = job('normal', events);
    const normalRun = slots.run(false, 'z', normal.work);
    await turn();
    assert.deepEqual(slots.state, { running: 2, costlyRunning: 1, waiting: 1, costlyWaiting: 1 });
    normal.finish();
    await normalRun;
    first.finish();
    await runs[0];
    await turn();
    second.finish();
    await runs[1];
    assert.deepEqual(events, [
      'start first',
      'start normal',
      'end normal',
      'end first',
      'start second',
      'end second',
    ]);
  });

  it('refuses a costly decode at once with DECODE_BUSY when its line is full', async () => {
    const slots = new DecodeSlots({ slots: 2, costlySlots: 1, costlyWaiting: 1 });
    const events: string[] = [];
    const held = [job('1', events), job('2', events)];
    const runs = held.map((j) => slots.run(true, 'x', j.work));
    await assert.rejects(
      slots.run(true, 'a progressive JPEG of 6,300 x 6,300 pixels', async () => 'never'),
      (err) =>
        isAesearchError(err, 'DECODE_BUSY') &&
        err.status === 503 &&
        err.message ===
          'The server is already decoding or queueing 2 costly images, its limit, and a progressive JPEG of 6,300 x 6,300 pixels is another; retry in 1 s, as the Retry-After header says, or send it smaller or as a baseline JPEG, which does not wait in that line',
    );
    assert.equal(await slots.run(false, 'ordinary', async () => 'ordinary'), 'ordinary');
    for (const j of held) j.finish();
    await Promise.all(runs);
    assert.equal(
      await slots.run(true, 'x', async () => 'again'),
      'again',
      'served again once the line drains',
    );
  });

  it('runs at most `slots` decodes at once, in order of arrival', async () => {
    const slots = new DecodeSlots({ slots: 2, costlySlots: 1, costlyWaiting: 4 });
    const events: string[] = [];
    const jobs = ['1', '2', '3', '4', '5'].map((n) => job(n, events));
    let running = 0;
    let peak = 0;
    const runs = jobs.map((j) =>
      slots.run(false, 'x', async () => {
        peak = Math.max(peak, ++running);
        try {
          return await j.work();
        } finally {
          running--;
        }
      }),
    );
    for (const j of jobs) {
      await turn();
      j.finish();
    }
    await Promise.all(runs);
    assert.equal(peak, 2);
    assert.deepEqual(
      events.filter((e) => e.startsWith('start')),
      ['start 1', 'start 2', 'start 3', 'start 4', 'start 5'],
    );
  });
});
