/**
 * Training checkpoints: every variable and the optimiser's state after an epoch, so `--resume` continues
 * exactly. The weights file is written first under a new name, then the JSON that points to it is
 * renamed into place: a crash leaves the previous checkpoint whole.
 */
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { createError } from '../errors.js';
import { archConfigSchema } from '../model/architectures/schema.js';
import type { Autoencoder } from '../model/architectures/types.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/read-json.js';

const STATE_FILE = 'checkpoint.json';

/** A figure JSON may have written as null (NaN, or an infinite rate), read back as NaN. */
const figure = z
  .number()
  .nullable()
  .transform((v) => v ?? Number.NaN);

/** One tensor's place in the weights file, as tf.io.encodeWeights describes it. */
const weightsEntry = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(['float32', 'int32', 'bool', 'complex64', 'string']),
});

const epochLog = z.object({
  epoch: z.number().int().positive(),
  loss: figure,
  valLoss: z.number().nullable(),
  seconds: figure,
  imagesPerSecond: figure,
  heldOutPrecision: z.number().optional(),
});

/** checkpoint.json: what a checkpoint records besides tensors. */
const checkpointSchema = z.object({
  version: z.literal(1),
  arch: archConfigSchema,
  options: z.object({
    batchSize: z.number().int().positive(),
    learningRate: z.number(),
    seed: z.number().int(),
  }),
  epoch: z.number().int().nonnegative(),
  history: z.array(epochLog),
  // joined to the checkpoint folder: a plain file name, never a path
  weightsFile: z
    .string()
    .regex(/^checkpoint-\d+-\d+\.bin$/, { error: 'a checkpoint-<epoch>-<time>.bin file name' }),
  variableSpecs: z.array(weightsEntry),
  optimizerSpecs: z.array(weightsEntry),
  dataset: z.object({ name: z.string(), fingerprint: z.string() }),
});

/** What a checkpoint records besides tensors. */
export type CheckpointState = z.output<typeof checkpointSchema>;

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

/**
 * Reads and checks a checkpoint's state in `dir`; throws NO_CHECKPOINT when there is none, and
 * CHECKPOINT_CORRUPT (naming the file and the first bad field) when it is not a valid checkpoint.json.
 */
export async function readCheckpointState(dir: string): Promise<CheckpointState> {
  const file = join(dir, STATE_FILE);
  return readJsonFile(file, checkpointSchema, {
    missing: () => createError('NO_CHECKPOINT', { where: file }),
    corrupt: (reason) => createError('CHECKPOINT_CORRUPT', { file, reason }),
  });
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
    throw createError('CHECKPOINT_MISMATCH', {
      what: 'variable count',
      saved: state.variableSpecs.length,
      asked: model.variables.length,
    });
  }
  model.variables.forEach((v, i) => {
    const t = named[`v${i}`];
    if (!t || !tf.util.arraysEqual(t.shape, v.shape)) {
      throw createError('CHECKPOINT_MISMATCH', {
        what: `variable ${v.name} shape`,
        saved: String(t?.shape),
        asked: String(v.shape),
      });
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
