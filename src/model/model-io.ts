/**
 * Saves and loads tfjs LayersModels in the standard tfjs format (model.json + weights.bin) with node:fs,
 * without tfjs-node. Also hashes weights so an index can name the model that built it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFileAtomic } from '../util/atomic-fs.js';
// registers the custom layers saved encoders may contain, before any model is loaded
import './architectures/l2-normalize.js';
import './architectures/input-steps.js';

export const WEIGHTS_FILE = 'weights.bin';

/** Writes `model` to `dir`/model.json and `dir`/weights.bin (each atomically). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData = tf.io.concatenateArrayBuffers(
        Array.isArray(artifacts.weightData)
          ? artifacts.weightData
          : artifacts.weightData
            ? [artifacts.weightData]
            : [],
      );
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        weightsManifest: [{ paths: [`./${WEIGHTS_FILE}`], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(weightData));
      await writeFileAtomic(join(dir, 'model.json'), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
}

/** Reads one file of a saved model by its path relative to the model's folder (e.g. `model.json`). */
export type ReadModelFile = (name: string) => Promise<Uint8Array>;

/** Loads a model written by `saveLayersModel` (or any single-shard tfjs layers model). Throws on a missing file. */
export function loadLayersModel(dir: string): Promise<tf.LayersModel> {
  return readLayersModel((name) => readFile(join(dir, name)));
}

/** Loads a single-shard tfjs layers model whose files `read` gives (from a folder, or a store). */
export async function readLayersModel(read: ReadModelFile): Promise<tf.LayersModel> {
  const json = JSON.parse(new TextDecoder().decode(await read('model.json')));
  const manifest = json.weightsManifest?.[0];
  const weights = await read(String(manifest?.paths?.[0] ?? WEIGHTS_FILE).replace(/^\.\//, ''));
  const weightData = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength);
  return tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: manifest?.weights ?? [], weightData }),
  );
}

/** sha256 of the models' weights (values in order), first 16 hex digits. */
export function hashWeights(...models: tf.LayersModel[]): string {
  const hash = createHash('sha256');
  for (const model of models) {
    for (const w of model.getWeights()) {
      const data = w.dataSync();
      hash.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
  }
  return hash.digest('hex').slice(0, 16);
}
