/**
 * Training checkpoints: every variable and the optimiser's state after an epoch, so `--resume` continues
 * exactly. The weights file is written first under a new name, then the JSON that points to it is
 * renamed into place: a crash leaves the previous checkpoint whole.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createError } from '../errors.js';
import type { ArchConfig, Autoencoder } from '../model/architectures/types.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import type { TrainConfig } from './train-config.js';
import type { EpochLog } from './trainer.js';

const STATE_FILE = 'checkpoint.json';

/** What a checkpoint records besides tensors. */
export interface CheckpointState {
  readonly version: 1;
  readonly arch: ArchConfig;
  readonly options: Pick<TrainConfig, 'batchSize' | 'learningRate' | 'seed'>;
  readonly epoch: number;
  readonly history: readonly EpochLog[];
  readonly weightsFile: string;
  readonly variableSpecs: tf.io.WeightsManifestEntry[];
  readonly optimizerSpecs: tf.io.WeightsManifestEntry[];
  readonly dataset: { readonly name: string; readonly fingerprint: string };
}

/** Saves model variables and optimiser state after `epoch` into `dir`. */
export async function saveCheckpoint(
  dir: string,
  model: Autoencoder,
  optimizer: tf.Optimizer,
  state: Omit<CheckpointState, 'version' | 'weightsFile' | 'variableSpecs' | 'optimizerSpecs'>,
): Promise<void> {
  const variables = model.variables.map((v, i) => ({ name: `v${i}`, tensor: v }));
  const optimizerWeights = await optimizer.getWeights();
  const a = await tf.io.encodeWeights(variables);
  const b = await tf.io.encodeWeights(
    optimizerWeights.map((w, i) => ({ name: `o${i}:${w.name}`, tensor: w.tensor })),
  );
  // getWeights makes a new scalar for the iteration count; the rest are the optimiser's own variables
  for (const w of optimizerWeights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
  const weightsFile = `checkpoint-${state.epoch}-${Date.now()}.bin`;
  const bytes = new Uint8Array(a.data.byteLength + b.data.byteLength);
  bytes.set(new Uint8Array(a.data), 0);
  bytes.set(new Uint8Array(b.data), a.data.byteLength);
  await writeFileAtomic(join(dir, weightsFile), bytes);
  const full: CheckpointState = {
    version: 1,
    ...state,
    weightsFile,
    variableSpecs: a.specs,
    optimizerSpecs: b.specs,
  };
  await writeJsonAtomic(join(dir, STATE_FILE), full);
  for (const f of await readdir(dir)) {
    if (f.startsWith('checkpoint-') && f.endsWith('.bin') && f !== weightsFile)
      await rm(join(dir, f), { force: true });
  }
}

/** Reads a checkpoint's state; throws NO_CHECKPOINT when there is none. */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  try {
    return JSON.parse(await readFile(join(dir, STATE_FILE), 'utf8')) as CheckpointState;
  } catch {
    throw createError('NO_CHECKPOINT', join(dir, STATE_FILE));
  }
}

/** Loads a checkpoint's variables into `model` and its state into `optimizer`. */
export async function restoreCheckpoint(
  dir: string,
  state: CheckpointState,
  model: Autoencoder,
  optimizer: tf.Optimizer,
): Promise<void> {
  const buf = await readFile(join(dir, state.weightsFile));
  const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const specs = [...state.variableSpecs, ...state.optimizerSpecs];
  const named = tf.io.decodeWeights(data, specs);
  if (state.variableSpecs.length !== model.variables.length) {
    throw createError(
      'CHECKPOINT_MISMATCH',
      'variable count',
      state.variableSpecs.length,
      model.variables.length,
    );
  }
  model.variables.forEach((v, i) => {
    const t = named[`v${i}`];
    if (!t || !tf.util.arraysEqual(t.shape, v.shape)) {
      throw createError('CHECKPOINT_MISMATCH', `variable ${v.name} shape`, String(t?.shape), String(v.shape));
    }
    v.assign(t);
  });
  await optimizer.setWeights(
    state.optimizerSpecs.map((s) => ({
      name: s.name.replace(/^o\d+:/, ''),
      tensor: named[s.name] as tf.Tensor,
    })),
  );
  // setWeights and assign copy the values into variables: the decoded tensors are ours to free
  for (const t of Object.values(named)) t.dispose();
}
