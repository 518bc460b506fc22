/**
 * The trained model on disk: `index/model-<hash>/{encoder,decoder}/` in tfjs format, and
 * `index/model.json`, the model manifest, which names that folder. The manifest is renamed into place
 * last, so a crash during a save leaves the previous model loadable.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { createError } from '../errors.js';
import { fsyncDir, removeOrphanTemps, writeJsonAtomic } from '../util/atomic-fs.js';
import type { ArchConfig } from './architectures/types.js';
import { hashWeights, loadLayersModel, saveLayersModel } from './model-io.js';

/** File name of the model manifest inside the index folder. */
export const MODEL_MANIFEST = 'model.json';

/** Describes a trained model; written beside it. */
export interface ModelManifest {
  readonly version: 1;
  /** Folder (relative to the index folder) holding encoder/ and decoder/. */
  readonly dir: string;
  readonly arch: ArchConfig;
  readonly codeSize: number;
  readonly inputShape: readonly [number, number, number];
  readonly dataset: {
    readonly name: string;
    readonly fingerprint: string;
    readonly count: number;
    readonly origin: string;
  };
  readonly backend: string;
  /** sha256 (16 hex) of encoder and decoder weights. */
  readonly weightsHash: string;
  readonly training: {
    readonly epochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly seed: number;
    readonly seconds: number;
    readonly imagesPerSecond: number;
    readonly preset: string | null;
    /** Few-label runs only. */
    readonly labels?: LabelsSummary;
  };
  readonly finalLoss: { readonly train: number; readonly val: number | null };
  readonly createdAt: string;
}

/** How a few-label run used its labels (all from the database split). */
export interface LabelsSummary {
  readonly perClass: number;
  readonly perBatch: number;
  /** Labelled images training used. */
  readonly used: number;
  /** Labelled images held out to pick the best epoch. */
  readonly heldOut: number;
  /** The epoch whose weights were saved; null when nothing was held out. */
  readonly bestEpoch: number | null;
  /** Its held-out label precision@10 (against the training-labelled images). */
  readonly heldOutPrecision10: number | null;
}

/** A loaded encoder/decoder pair with its manifest. */
export interface LoadedModel {
  readonly manifest: ModelManifest;
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
}

/** Reads index/model.json; throws NO_MODEL when absent, MODEL_CORRUPT when it cannot be used. */
export async function readModelManifest(indexDir: string): Promise<ModelManifest> {
  const file = join(indexDir, MODEL_MANIFEST);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw createError('NO_MODEL', file);
  }
  let manifest: Partial<ModelManifest>;
  try {
    manifest = JSON.parse(text) as Partial<ModelManifest>;
  } catch (err) {
    throw createError('MODEL_CORRUPT', file, (err as Error).message);
  }
  // The folder name comes from the file: keep it a plain model-<hash> folder inside the index folder.
  if (typeof manifest.dir !== 'string' || !/^model-[\w-]+$/.test(manifest.dir))
    throw createError('MODEL_CORRUPT', file, 'its field "dir" is not a model-<hash> folder name');
  if (typeof manifest.weightsHash !== 'string' || typeof manifest.codeSize !== 'number')
    throw createError('MODEL_CORRUPT', file, 'its fields "weightsHash" and "codeSize" are missing');
  return manifest as ModelManifest;
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

/** Loads the current model; throws NO_MODEL, or MODEL_CORRUPT when its files are missing or damaged. */
export async function loadModel(indexDir: string): Promise<LoadedModel> {
  const manifest = await readModelManifest(indexDir);
  const dir = join(indexDir, manifest.dir);
  let encoder: tf.LayersModel;
  let decoder: tf.LayersModel;
  try {
    encoder = await loadLayersModel(join(dir, 'encoder'));
    decoder = await loadLayersModel(join(dir, 'decoder'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' ? `${e.path ?? 'a file'} is missing` : e.message.split('\n')[0];
    throw createError('MODEL_CORRUPT', dir, reason ?? 'unreadable');
  }
  const hash = hashWeights(encoder, decoder);
  if (hash !== manifest.weightsHash) {
    encoder.dispose();
    decoder.dispose();
    throw createError(
      'MODEL_CORRUPT',
      dir,
      `weights hash ${hash} differs from the manifest's ${manifest.weightsHash}`,
    );
  }
  return { manifest, encoder, decoder };
}
