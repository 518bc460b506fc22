/**
 * The trained model on disk: `index/model-<hash>/{encoder,decoder}/` in tfjs format, and
 * `index/model.json`, the model manifest, which names that folder. The manifest is renamed into place
 * last, so a crash during a save leaves the previous model loadable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import { createError } from '../errors.js';
import { fsyncDir, removeOrphanTemps, writeJsonAtomic } from '../util/atomic-fs.js';
import { readJsonFile } from '../util/read-json.js';
import { ARCH_NAMES, type ArchConfig } from './architectures/types.js';
import {
  hashWeights,
  type ReadModelFile,
  readLayersModel,
  saveLayersModel,
  WEIGHTS_FILE,
} from './model-io.js';

/** File name of the model manifest inside the index folder. */
export const MODEL_MANIFEST = 'model.json';

const count = z.number().int().nonnegative();
const positive = z.number().int().positive();

/**
 * The architecture a model was trained with, as recorded in the manifests. The layers themselves load
 * from the tfjs files, so only the fields shown to people are checked; the rest passes through as written.
 */
export const archConfigField = z
  .looseObject({
    arch: z.enum(ARCH_NAMES),
    side: positive,
    // Models from before colour input were all grayscale.
    channels: z.union([z.literal(1), z.literal(3)]).default(1),
    codeSize: positive,
  })
  .transform((arch) => arch as unknown as ArchConfig);

/** How a few-label run used its labels (all from the database split). */
const labelsSummary = z
  .object({
    perClass: count,
    perBatch: count,
    /** Labelled images training used. */
    used: count,
    /** Labelled images held out to pick the best epoch. */
    heldOut: count,
    /** The epoch whose weights were saved; null when nothing was held out. */
    bestEpoch: count.nullable(),
    /** Its held-out label precision@10 (against the training-labelled images). */
    heldOutPrecision10: z.number().nullable(),
    /** The last epochs that self-trained on pseudo-labels (absent: none). */
    selfTrain: count.optional(),
    /** Views per unlabelled image in the self-training batches (absent: one). */
    views: count.optional(),
    /** Whether the two views split the corruptions between them (absent: each had all). */
    splitViews: z.boolean().optional(),
  })
  .readonly();
export type LabelsSummary = z.infer<typeof labelsSummary>;

/** The schema of index/model.json. */
export const modelManifestSchema = z
  .object({
    version: z.literal(1),
    /** Folder (relative to the index folder) holding encoder/ and decoder/; a plain name, never a path. */
    dir: z.string().regex(/^model-[\w-]+$/, { error: 'a model-<hash> folder name' }),
    arch: archConfigField,
    codeSize: positive,
    inputShape: z.tuple([positive, positive, positive]).readonly(),
    dataset: z.object({ name: z.string(), fingerprint: z.string(), count, origin: z.string() }).readonly(),
    backend: z.string(),
    /** sha256 (16 hex) of encoder and decoder weights. */
    weightsHash: z.string(),
    training: z
      .object({
        epochs: count,
        batchSize: positive,
        learningRate: z.number(),
        seed: z.number().int(),
        seconds: z.number(),
        imagesPerSecond: z.number(),
        preset: z.string().nullable(),
        /** The machine-speed figure (img/s) measured before training: what `seconds` means elsewhere. */
        machineImgPerS: z.number().nullable().optional(),
        /** Few-label runs only. */
        labels: labelsSummary.optional(),
      })
      .readonly(),
    finalLoss: z.object({ train: z.number(), val: z.number().nullable() }).readonly(),
    createdAt: z.string(),
  })
  .readonly();

/** Describes a trained model; written beside it. */
export type ModelManifest = z.infer<typeof modelManifestSchema>;

/** A loaded encoder/decoder pair with its manifest. */
export interface LoadedModel {
  readonly manifest: ModelManifest;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
}

/**
 * Reads index/model.json; throws NO_MODEL when absent, MODEL_CORRUPT naming the file and the field when
 * it is not a model manifest.
 */
export function readModelManifest(indexDir: string): Promise<ModelManifest> {
  const file = join(indexDir, MODEL_MANIFEST);
  return readJsonFile(file, modelManifestSchema, {
    missing: () => createError('NO_MODEL', { where: file }),
    corrupt: (reason) => createError('MODEL_CORRUPT', { file, reason }),
  });
}

/**
 * Saves encoder and decoder under index/model-<hash>/ and then points index/model.json at them.
 * Returns the manifest written. Older model folders stay: the caller removes them with the index
 * folder's cleanup (store/folder-cleanup.ts), which knows what the index manifest still uses.
 */
export async function saveModel(
  indexDir: string,
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  fields: Omit<ModelManifest, 'version' | 'dir' | 'weightsHash' | 'createdAt'>,
): Promise<ModelManifest> {
  const weightsHash = hashWeights(encoder, decoder);
  const dir = `model-${weightsHash}`;
  const target = join(indexDir, dir);
  await saveLayersModel(encoder, join(target, 'encoder'));
  await saveLayersModel(decoder, join(target, 'decoder'));
  await fsyncDir(target);
  const manifest: ModelManifest = {
    version: 1,
    ...fields,
    dir,
    weightsHash,
    createdAt: new Date().toISOString(),
  };
  await writeJsonAtomic(join(indexDir, MODEL_MANIFEST), manifest);
  await removeOrphanTemps(indexDir);
  return manifest;
}

/** The files of a model by their path relative to its folder (`encoder/model.json`, ...). */
function modelFiles(): string[] {
  // A function, not a constant: model-io.ts and this module import each other.
  return ['encoder', 'decoder'].flatMap((part) => [`${part}/model.json`, `${part}/${WEIGHTS_FILE}`]);
}

/** Reads the files of the current model in `indexDir` (for publishing it to a store). */
export async function readModelFiles(
  indexDir: string,
  manifest: ModelManifest,
): Promise<Map<string, Uint8Array>> {
  const dir = join(indexDir, manifest.dir);
  const files = new Map<string, Uint8Array>();
  for (const name of modelFiles()) files.set(name, new Uint8Array(await readFile(join(dir, name))));
  return files;
}

/** Loads the current model; throws NO_MODEL, or MODEL_CORRUPT when its files are missing or damaged. */
export async function loadModel(indexDir: string): Promise<LoadedModel> {
  const manifest = await readModelManifest(indexDir);
  const dir = join(indexDir, manifest.dir);
  return loadModelFiles(manifest, dir, (name) => readFile(join(dir, name)));
}

/**
 * Loads the model `manifest` describes from the files `read` gives (`encoder/model.json`, ...) and checks
 * its weights hash; throws MODEL_CORRUPT naming `where`.
 */
export async function loadModelFiles(
  manifest: ModelManifest,
  where: string,
  read: ReadModelFile,
): Promise<LoadedModel> {
  const dir = where;
  let encoder: tf.LayersModel;
  let decoder: tf.LayersModel;
  try {
    encoder = await readLayersModel((name) => read(`encoder/${name}`));
    decoder = await readLayersModel((name) => read(`decoder/${name}`));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? `${e.path ?? 'a file'} is missing` : e.message.split('\n')[0];
    throw createError('MODEL_CORRUPT', { file: dir, reason: reason ?? 'unreadable' });
  }
  const hash = hashWeights(encoder, decoder);
  if (hash !== manifest.weightsHash) {
    encoder.dispose();
    decoder.dispose();
    throw createError('MODEL_CORRUPT', {
      file: dir,
      reason: `weights hash ${hash} differs from the manifest's ${manifest.weightsHash}`,
    });
  }
  return { manifest, encoder, decoder };
}
