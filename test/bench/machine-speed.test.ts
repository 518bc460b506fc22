/**
 * The machine-speed figure: measured in a worker thread on the wasm backend, its log line, and the line
 * `aesearch train` prints before training.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  machineSpeedLine,
  machineSpeedReport,
  measureMachineSpeed,
  REFERENCE_BATCH,
} from '../../src/bench/machine-speed.js';
import { runCli } from '../helpers/cli.js';
import { TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';

/** A short measurement: the figure's value is the machine's; its shape is what is tested. */
const QUICK = { steps: 3, warmSteps: 1 };

describe('machine speed', () => {
  it('trains the reference for the steps asked and reports images per second', async () => {
    const speed = await measureMachineSpeed(QUICK);
    assert.equal(speed.steps, 3);
    assert.equal(speed.batch, REFERENCE_BATCH);
    assert.ok(speed.seconds > 0, `seconds ${speed.seconds}`);
    assert.ok(Math.abs(speed.imgPerS - (3 * REFERENCE_BATCH) / speed.seconds) < 1e-6 * speed.imgPerS);
  });

  it('formats the line train prints, and says why when it cannot measure', async () => {
    const speed = { imgPerS: 6321.4, steps: 200, batch: 64, seconds: 2.02 };
    assert.equal(
      machineSpeedLine(speed),
      'machine: 6,321 img/s (reference: seed dense AE, batch 64, 1 thread)',
    );
    assert.deepEqual(await machineSpeedReport({ steps: 1.5, warmSteps: 0 }), {
      imgPerS: null,
      line: 'machine: not measured (The machine-speed worker failed: Expected whole numbers of timed (at least 1) and warm-up steps but got 1.5 and 0)',
    });
  });

  it('is printed by aesearch train before it trains, and kept in model.json', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const run = await runCli(
        ['train', '--limit', '64', '--epochs', '1', '--steps', '1', '--threads', '1'],
        {
          AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'),
          AESEARCH_INDEX_DIR: join(dir, 'index'),
        },
      );
      assert.equal(run.code, 0, run.stderr);
      const lines = run.stderr.split('\n');
      const machine = lines.findIndex((l) =>
        /^machine: [\d,]+ img\/s \(reference: seed dense AE, batch 64, 1 thread\)$/.test(l),
      );
      assert.ok(machine >= 0, run.stderr);
      assert.ok(machine < lines.findIndex((l) => l.startsWith('training dense autoencoder')), run.stderr);
      // model.json keeps the figure beside the training time
      const printed = Number(lines[machine]?.match(/^machine: ([\d,]+)/)?.[1]?.replaceAll(',', ''));
      const manifest = JSON.parse(await readFile(join(dir, 'index', 'model.json'), 'utf8'));
      assert.equal(Math.round(manifest.training.machineImgPerS), printed);
      assert.match(run.stdout, /trained in \d+ s;/);
      assert.match(run.stderr, /\nmachine after training: [\d,]+ img\/s \(reference/);
    } finally {
      await cleanup();
    }
  });
});
