/**
 * Checkpoints: checkpoint.json is checked against its schema (a missing file is NO_CHECKPOINT, a damaged
 * one CHECKPOINT_CORRUPT naming the file and the field), and resuming from one trains exactly as an
 * uninterrupted run does.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { isAesearchError } from '../../src/errors.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { resolveTrainConfig } from '../../src/train/train-config.js';
import { runTraining, TRAIN_DIR } from '../../src/train/train-run.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, type TempDir, tempDir } from '../helpers/fixtures.js';

/** Trains `epochs` epochs of 3 batches on one thread into `dir` (resuming when asked). */
function train(dir: string, dataset: Dataset, epochs: number, resume = false) {
  const config = resolveTrainConfig(
    { codeSize: 4, hidden: [16], epochs, batchSize: 32, steps: 3, threads: '1', resume },
    dataset.format,
  );
  return runTraining(config, { indexDir: dir, dataset, backend: 'test' });
}

describe('checkpoints', () => {
  let dataset: Dataset;
  let trained: TempDir;
  let checkpointDir: string;
  let stateFile: string;
  let saved: string;

  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
    trained = await tempDir();
    await train(trained.dir, dataset, 1);
    checkpointDir = join(trained.dir, TRAIN_DIR, 'checkpoint');
    stateFile = join(checkpointDir, 'checkpoint.json');
    saved = await readFile(stateFile, 'utf8');
  });
  after(() => trained.cleanup());

  /** Writes `text` as checkpoint.json and returns the error reading it gives. */
  async function errorFor(text: string): Promise<Error> {
    await writeFile(stateFile, text);
    try {
      return await readCheckpointState(checkpointDir).then(() => assert.fail('read a bad checkpoint'));
    } catch (err) {
      return err as Error;
    } finally {
      await writeFile(stateFile, saved);
    }
  }

  it('reads back the state the run saved', async () => {
    const state = await readCheckpointState(checkpointDir);
    assert.equal(state.epoch, 1);
    assert.equal(state.history.length, 1);
    assert.equal(state.arch.codeSize, 4);
    assert.deepEqual(state.arch.hidden, [16]);
    assert.equal(state.dataset.fingerprint, dataset.fingerprint);
    assert.deepEqual(state.options, {
      batchSize: 32,
      learningRate: 0.001,
      lrDecay: 'none',
      seed: 1,
      epochs: 1,
      stepsPerEpoch: 3,
      labels: null,
    });
  });

  it('says there is none when checkpoint.json is missing', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await assert.rejects(
        readCheckpointState(dir),
        (err: unknown) =>
          isAesearchError(err, 'NO_CHECKPOINT') &&
          err.message ===
            `--resume was given but there is no checkpoint at ${join(dir, 'checkpoint.json')}; train without --resume first`,
      );
    } finally {
      await cleanup();
    }
  });

  it('names the file and the JSON error when checkpoint.json is cut short', async () => {
    const err = await errorFor(saved.slice(0, 40));
    assert.ok(isAesearchError(err, 'CHECKPOINT_CORRUPT'), String(err));
    assert.match(
      err.message,
      /^The checkpoint .+ cannot be used \(.*JSON.*\); train without --resume to start over$/,
    );
    assert.ok(err.message.includes(stateFile), err.message);
  });

  it('names the field, what it should be and what it is', async () => {
    const state = JSON.parse(saved);
    const wrongNorm = await errorFor(JSON.stringify({ ...state, arch: { ...state.arch, codeNorm: 'l2' } }));
    assert.ok(isAesearchError(wrongNorm, 'CHECKPOINT_CORRUPT'));
    assert.equal(
      wrongNorm.message,
      `The checkpoint ${stateFile} cannot be used (its field "arch.codeNorm" should be one of "none", "cosine", "whiten" but is "l2"); train without --resume to start over`,
    );
    const outside = await errorFor(JSON.stringify({ ...state, weightsFile: '../../model.json' }));
    assert.equal(
      outside.message,
      `The checkpoint ${stateFile} cannot be used (its field "weightsFile" should be a checkpoint-<epoch>-<time>.bin file name but is "../../model.json"); train without --resume to start over`,
    );
  });

  it('drops the fields of options since removed, so an older checkpoint still resumes', async () => {
    const state = JSON.parse(saved);
    await writeFile(
      stateFile,
      JSON.stringify({ ...state, arch: { ...state.arch, invariance: null, labelLoss: null } }),
    );
    try {
      const read = await readCheckpointState(checkpointDir);
      assert.equal('invariance' in read.arch, false);
    } finally {
      await writeFile(stateFile, saved);
    }
  });

  it('resumes to the same weights as an uninterrupted run', async () => {
    const straight = await tempDir();
    try {
      const whole = await train(straight.dir, dataset, 2);
      const resumed = await train(trained.dir, dataset, 2, true);
      assert.deepEqual(
        resumed.history.map((h) => h.epoch),
        [1, 2],
      );
      assert.equal(resumed.manifest.weightsHash, whole.manifest.weightsHash);
    } finally {
      await straight.cleanup();
    }
  });
});
