/**
 * `train --resume`: every setting that changes the arithmetic is compared with the checkpoint and every
 * difference named in one error; checkpoint.json and the weights file are checked against the model
 * before anything is read into it; a refused resume leaves no tensor behind and no variable changed;
 * leftover temp files of killed writers are removed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cp, mkdir, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { isAesearchError } from '../../src/errors.js';
import { buildAutoencoder } from '../../src/model/architectures/index.js';
import { readCheckpointState, restoreCheckpoint } from '../../src/train/checkpoint.js';
import { resolveTrainConfig, type TrainSettings } from '../../src/train/train-config.js';
import { runTraining, TRAIN_DIR } from '../../src/train/train-run.js';
import { useTestBackend } from '../helpers/backend.js';
import { TEST_DATA_PATH, type TempDir, tempDir } from '../helpers/fixtures.js';

/** The settings the checkpoint under test was made with: 1 epoch of 3 batches of 32. */
const BASE: TrainSettings = { codeSize: 4, hidden: [16], epochs: 1, batchSize: 32, steps: 3, threads: '1' };

function train(dir: string, dataset: Dataset, settings: TrainSettings) {
  const config = resolveTrainConfig({ ...BASE, ...settings }, dataset.format);
  return runTraining(config, { indexDir: dir, dataset, backend: 'test' });
}

/** The pid of a process that has exited. */
function deadPid(): number {
  const { pid } = spawnSync(process.execPath, ['-e', '']);
  assert.ok(pid);
  return pid;
}

describe('train --resume', () => {
  let dataset: Dataset;
  let made: TempDir;
  let scratch: TempDir;
  let copies = 0;

  before(async () => {
    await useTestBackend();
    dataset = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 200 });
    made = await tempDir();
    scratch = await tempDir();
    await train(made.dir, dataset, {});
  });
  after(async () => {
    await made.cleanup();
    await scratch.cleanup();
  });

  /** A fresh copy of the index folder with the 1-epoch checkpoint; returns it and its checkpoint folder. */
  async function copyOfCheckpoint(): Promise<{ dir: string; checkpointDir: string }> {
    const dir = join(scratch.dir, `copy-${copies++}`);
    await cp(made.dir, dir, { recursive: true });
    return { dir, checkpointDir: join(dir, TRAIN_DIR, 'checkpoint') };
  }

  /** Resumes in `dir` with `settings`, expects it to fail, checks no tensor was left, returns the error. */
  async function resumeError(dir: string, settings: TrainSettings, data = dataset): Promise<Error> {
    const tensors = tf.memory().numTensors;
    const error = await train(dir, data, { ...settings, resume: true }).then(
      () => assert.fail('resumed'),
      (err: Error) => err,
    );
    assert.equal(tf.memory().numTensors, tensors, `tensors left behind by: ${error.message}`);
    return error;
  }

  it('names the settings that differ, with both values, in one error', async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const err = await resumeError(dir, { epochs: 2, batchSize: 16, lr: 0.002 });
    assert.ok(isAesearchError(err, 'CHECKPOINT_MISMATCH'), String(err));
    assert.equal(
      err.message,
      `The checkpoint in ${checkpointDir} was made with batch size 32 and learning rate 0.001; ` +
        'this run asks for batch size 16 and learning rate 0.002; ' +
        "run with the checkpoint's settings or drop --resume",
    );
  });

  it('compares the whole model, seed, noise, decay, steps, labels and dataset', async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const other = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 150 });
    const settings: TrainSettings = {
      codeSize: 5,
      seed: 2,
      noise: [{ type: 'gaussian' }],
      lrDecay: 'cosine',
      epochs: 2,
      steps: 2,
      labelsPerClass: 5,
      labelsPerBatch: 8,
    };
    const err = await resumeError(dir, settings, other);
    assert.ok(isAesearchError(err, 'CHECKPOINT_MISMATCH'), String(err));
    const saved = [
      'code size 4',
      'noise none',
      'seed 1',
      'label weight none',
      'learning-rate decay none',
      'epochs 1',
      'steps per epoch 3',
      'labels none',
      `dataset fashion-mnist (fingerprint ${dataset.fingerprint})`,
    ];
    const asked = [
      'code size 5',
      'noise gaussian:0.3',
      'seed 2',
      'label weight 0.1',
      'learning-rate decay cosine',
      'epochs 2',
      'steps per epoch 2',
      'labels 5 per class (8 per batch, holdout 0.2, patience 0)',
      `dataset fashion-mnist (fingerprint ${other.fingerprint})`,
    ];
    const list = (items: string[]) => `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
    assert.equal(
      err.message,
      `The checkpoint in ${checkpointDir} was made with ${list(saved)}; this run asks for ${list(asked)}; ` +
        "run with the checkpoint's settings or drop --resume",
    );
  });

  it('compares total epochs when the learning rate decays over them', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await train(dir, dataset, { lrDecay: 'cosine', epochs: 2, steps: 2 });
      const err = await resumeError(dir, { lrDecay: 'cosine', epochs: 3, steps: 2 });
      assert.ok(isAesearchError(err, 'CHECKPOINT_MISMATCH'), String(err));
      assert.match(err.message, / was made with epochs 2; this run asks for epochs 3; /);
    } finally {
      await cleanup();
    }
  });

  it('resumes a checkpoint made before the run settings were recorded', async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const file = join(checkpointDir, 'checkpoint.json');
    const state = JSON.parse(await readFile(file, 'utf8'));
    const { batchSize, learningRate, seed } = state.options;
    await writeFile(file, JSON.stringify({ ...state, options: { batchSize, learningRate, seed } }));
    const resumed = await train(dir, dataset, { epochs: 2, resume: true });
    assert.deepEqual(
      resumed.history.map((h) => h.epoch),
      [1, 2],
    );
  });

  it('reports a damaged checkpoint.json as damaged, naming it', async () => {
    for (const text of ['', '{"version": 1, "arch": ']) {
      const { dir, checkpointDir } = await copyOfCheckpoint();
      const file = join(checkpointDir, 'checkpoint.json');
      await writeFile(file, text);
      const err = await resumeError(dir, {});
      assert.ok(isAesearchError(err, 'CHECKPOINT_CORRUPT'), String(err));
      assert.match(err.message, /\(.*JSON.*\); train without --resume to start over$/);
      assert.ok(err.message.startsWith(`The checkpoint ${file} cannot be used (`), err.message);
    }
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const file = join(checkpointDir, 'checkpoint.json');
    await rm(file);
    await mkdir(file);
    const err = await resumeError(dir, {});
    assert.ok(isAesearchError(err, 'CHECKPOINT_CORRUPT'), String(err));
    assert.equal(
      err.message,
      `The checkpoint ${file} cannot be used (it cannot be read: EISDIR); train without --resume to start over`,
    );
  });

  it('refuses a weights file cut short, naming it, the size it has and the size it needs', async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const state = await readCheckpointState(checkpointDir);
    const weights = join(checkpointDir, state.weightsFile);
    const whole = (await readFile(weights)).byteLength;
    await truncate(weights, 1000);
    const err = await resumeError(dir, {});
    assert.ok(isAesearchError(err, 'CHECKPOINT_CORRUPT'), String(err));
    assert.equal(
      err.message,
      `The checkpoint ${weights} cannot be used (it holds 1000 bytes but checkpoint.json lists ${whole} bytes of tensors); train without --resume to start over`,
    );
  });

  it('refuses a missing weights file, naming it', async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const state = await readCheckpointState(checkpointDir);
    const weights = join(checkpointDir, state.weightsFile);
    await rm(weights);
    const err = await resumeError(dir, {});
    assert.ok(isAesearchError(err, 'CHECKPOINT_CORRUPT'), String(err));
    assert.equal(
      err.message,
      `The checkpoint ${weights} cannot be used (the file is missing); train without --resume to start over`,
    );
  });

  it("checks checkpoint.json's tensor list against the model before decoding or reading the weights", async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const file = join(checkpointDir, 'checkpoint.json');
    const state = JSON.parse(await readFile(file, 'utf8'));
    // as many bytes as before: the weights file still fits the list, the model does not
    state.variableSpecs[2].shape = [4, 16];
    await writeFile(file, JSON.stringify(state));
    const shape = await resumeError(dir, {});
    assert.ok(isAesearchError(shape, 'CHECKPOINT_CORRUPT'), String(shape));
    assert.equal(
      shape.message,
      `The checkpoint ${file} cannot be used (its tensor v2 has shape [4,16] but the model's variable 2 has shape [16,4]); train without --resume to start over`,
    );
    // without a weights file: a resume that read it first would fail on that instead
    await rm(join(checkpointDir, state.weightsFile));
    state.variableSpecs.pop();
    await writeFile(file, JSON.stringify(state));
    const count = await resumeError(dir, {});
    assert.ok(isAesearchError(count, 'CHECKPOINT_CORRUPT'), String(count));
    assert.equal(
      count.message,
      `The checkpoint ${file} cannot be used (it lists 7 variables but the model has 8); train without --resume to start over`,
    );
  });

  it('assigns all variables or none, and leaves no tensor behind', async () => {
    const { checkpointDir } = await copyOfCheckpoint();
    const state = await readCheckpointState(checkpointDir);
    // a model whose first two variables fit the checkpoint and whose third does not
    const config = resolveTrainConfig({ ...BASE, codeSize: 5 }, dataset.format);
    const model = buildAutoencoder(config.arch);
    const optimizer = tf.train.adam(config.learningRate);
    try {
      const values = model.variables.map((v) => v.dataSync().slice());
      const tensors = tf.memory().numTensors;
      const err = await restoreCheckpoint(checkpointDir, state, model, optimizer).then(
        () => assert.fail('restored'),
        (e: Error) => e,
      );
      assert.equal(tf.memory().numTensors, tensors, 'tensors left behind');
      model.variables.forEach((v, i) => {
        assert.deepEqual(v.dataSync(), values[i], `variable ${i} (${v.name}) was changed`);
      });
      assert.ok(isAesearchError(err, 'CHECKPOINT_CORRUPT'), String(err));
      assert.ok(
        err.message.includes("(its tensor v2 has shape [16,4] but the model's variable 2 has shape [16,5])"),
        err.message,
      );
    } finally {
      model.dispose();
      optimizer.dispose();
    }
  });

  it('removes the temp files killed writers left in the train and checkpoint folders', async () => {
    const { dir, checkpointDir } = await copyOfCheckpoint();
    const trainDir = join(dir, TRAIN_DIR);
    const pid = deadPid();
    const leftovers = [
      join(checkpointDir, `.checkpoint.json.${pid}.0badc0de.tmp`),
      join(checkpointDir, `.checkpoint-1-1700000000000.bin.${pid}.0123abcd.tmp`),
      join(trainDir, `.history.json.${pid}.0badc0de.tmp`),
    ];
    for (const file of leftovers) await writeFile(file, 'half a write');
    await train(dir, dataset, { epochs: 2, resume: true });
    const names = [...(await readdir(checkpointDir)), ...(await readdir(trainDir))];
    assert.deepEqual(
      names.filter((n) => n.endsWith('.tmp')),
      [],
    );
  });
});
