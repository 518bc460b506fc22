/**
 * Training checkpoints: every variable and the optimiser's state after an epoch, so `--resume` continues
 * exactly. The weights file is written first under a new name, then the JSON that points to it is
 * renamed into place: a crash leaves the previous checkpoint whole.
 */
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { createError } from '../errors.js';
import { archConfigSchema } from '../model/architectures/schema.js';
import type { Autoencoder } from '../model/architectures/types.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/read-json.js';
import { LR_DECAYS } from './lr-schedule.js';
import type { LabelPlan } from './train-config.js';

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

/** How few-label training used its labels (a LabelPlan). */
const labelPlan = z
  .object({
    perClass: z.number().int().positive(),
    perBatch: z.number().int().nonnegative(),
    holdout: z.number(),
    patience: z.number().int().nonnegative(),
    // checkpoints written before self-training existed did none
    selfTrain: z.number().int().nonnegative().default(0),
    // nor two views
    views: z.number().int().min(1).max(2).default(1),
    // nor split views
    splitViews: z.boolean().default(false),
  })
  .readonly() satisfies z.ZodType<LabelPlan>;

/** checkpoint.json: what a checkpoint records besides tensors. */
const checkpointSchema = z.object({
  version: z.literal(1),
  arch: archConfigSchema,
  options: z.object({
    batchSize: z.number().int().positive(),
    learningRate: z.number(),
    seed: z.number().int(),
    // recorded since a resume compares every setting: a checkpoint written before lacks them, and a
    // resume from it cannot compare them
    lrDecay: z.enum(LR_DECAYS).optional(),
    epochs: z.number().int().positive().optional(),
    stepsPerEpoch: z.number().int().positive().nullable().optional(),
    labels: labelPlan.nullable().optional(),
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

/** Bytes per element of each dtype a weights file may hold (tf.io.encodeWeights writes strings otherwise). */
const ELEMENT_BYTES: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1, complex64: 8 };

const shapeText = (shape: readonly number[]) => `[${shape.join(',')}]`;

/** Why the variables listed by `state` cannot be assigned to `variables`, or null when they can. */
function variablesProblem(state: CheckpointState, variables: readonly tf.Variable[]): string | null {
  const specs = state.variableSpecs;
  if (specs.length !== variables.length)
    return `it lists ${specs.length} variables but the model has ${variables.length}`;
  for (const [i, v] of variables.entries()) {
    const spec = specs[i];
    if (spec?.name !== `v${i}`)
      return `its tensor ${i} is named ${JSON.stringify(spec?.name)} instead of "v${i}"`;
    if (!tf.util.arraysEqual(spec.shape, v.shape))
      return `its tensor v${i} has shape ${shapeText(spec.shape)} but the model's variable ${i} has shape ${shapeText(v.shape)}`;
    if (spec.dtype !== v.dtype)
      return `its tensor v${i} holds ${spec.dtype} but the model's variable ${i} holds ${v.dtype}`;
  }
  return null;
}

/**
 * Why the optimiser state listed by `state` is not Adam's for at most `variables` variables, or null: its
 * step count, then the first moments, then as many second moments of the same shapes.
 */
function optimizerProblem(state: CheckpointState, variables: number): string | null {
  const specs = state.optimizerSpecs;
  const moments = (specs.length - 1) / 2;
  if (!Number.isInteger(moments) || moments < 0 || moments > variables)
    return `it lists ${specs.length} optimiser tensors; Adam keeps its step count and two per variable, at most ${2 * variables + 1}`;
  for (const [i, spec] of specs.entries()) {
    if (!spec.name.startsWith(`o${i}:`))
      return `its optimiser tensor ${i} is named ${JSON.stringify(spec.name)} instead of "o${i}:..."`;
  }
  if (specs[0]?.shape.length !== 0)
    return "its optimiser's first tensor (the step count) is not a single number";
  for (let i = 1; i <= moments; i++) {
    const first = specs[i];
    const second = specs[i + moments];
    if (first && second && !tf.util.arraysEqual(first.shape, second.shape))
      return `its optimiser tensors ${first.name} and ${second.name} (two moments of one variable) differ in shape`;
  }
  return null;
}

/** Why a tensor of `specs` cannot be in a checkpoint's weights file, or null. */
function dtypeProblem(specs: CheckpointState['variableSpecs']): string | null {
  const odd = specs.find((s) => ELEMENT_BYTES[s.dtype] === undefined);
  return odd ? `its tensor ${odd.name} holds ${odd.dtype}, which a checkpoint never does` : null;
}

/** The bytes the weights file of `specs` holds. */
function weightsBytes(specs: CheckpointState['variableSpecs']): number {
  return specs.reduce((sum, s) => sum + (ELEMENT_BYTES[s.dtype] ?? 0) * tf.util.sizeFromShape(s.shape), 0);
}

/** Reads the weights file `file`, after checking that it holds exactly `bytes` bytes. */
async function readWeights(file: string, bytes: number): Promise<ArrayBuffer> {
  const wrongSize = (size: number) =>
    createError('CHECKPOINT_CORRUPT', {
      file,
      reason: `it holds ${size} bytes but ${STATE_FILE} lists ${bytes} bytes of tensors`,
    });
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw createError('CHECKPOINT_CORRUPT', {
      file,
      reason: code === 'ENOENT' ? 'the file is missing' : `it cannot be read: ${code}`,
    });
  }
  if (size !== bytes) throw wrongSize(size);
  const buf = await readFile(file);
  if (buf.byteLength !== bytes) throw wrongSize(buf.byteLength);
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}

/**
 * Loads a checkpoint's variables into `model` and its state into `optimizer`, all or nothing: checkpoint.json's
 * tensor list is checked against the model and the weights file's size against the list before anything is
 * read or assigned. Throws CHECKPOINT_CORRUPT naming the file at fault; leaves no tensor behind.
 */
export async function restoreCheckpoint(
  dir: string,
  state: CheckpointState,
  model: Autoencoder,
  optimizer: tf.Optimizer,
): Promise<void> {
  const specs = [...state.variableSpecs, ...state.optimizerSpecs];
  const problem =
    variablesProblem(state, model.variables) ??
    optimizerProblem(state, model.variables.length) ??
    dtypeProblem(specs);
  if (problem !== null)
    throw createError('CHECKPOINT_CORRUPT', { file: join(dir, STATE_FILE), reason: problem });
  const data = await readWeights(join(dir, state.weightsFile), weightsBytes(specs));
  // tidy frees what decodeWeights made if it fails halfway
  const named = tf.tidy(() => tf.io.decodeWeights(data, specs));
  try {
    model.variables.forEach((v, i) => {
      v.assign(named[`v${i}`] as tf.Tensor);
    });
    await optimizer.setWeights(
      state.optimizerSpecs.map((s) => ({
        name: s.name.replace(/^o\d+:/, ''),
        tensor: named[s.name] as tf.Tensor,
      })),
    );
  } finally {
    // setWeights and assign copy the values into variables: the decoded tensors are ours to free
    for (const t of Object.values(named)) t.dispose();
  }
}
