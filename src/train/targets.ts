/**
 * The images training asks the decoder to rebuild: the database in the model's training frame
 * (equalised when the model equalises, input-steps.ts), computed once per run rather than in every step
 * (the same images come round every epoch). Noisy inputs are not framed here: the encoder's own input
 * step frames them, as it frames queries.
 */
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import { framesTraining, type InputStepsSpec, trainingFrame } from '../model/architectures/input-steps.js';

/** Images framed per tfjs call: bounds the memory of one call. */
const CHUNK = 1024;

/**
 * Every image of `set` as training asks for it (rows of side*side*channels floats, 4 bytes per value:
 * four times the images' bytes), or null when the training frame is the image itself.
 */
export function trainingTargets(config: InputStepsSpec, set: ImageSet): Float32Array | null {
  if (!framesTraining(config)) return null;
  const area = config.side * config.side * config.channels;
  const out = new Float32Array(set.count * area);
  for (let start = 0; start < set.count; start += CHUNK) {
    const rows = Math.min(CHUNK, set.count - start);
    const images = gatherBatch(
      set,
      Array.from({ length: rows }, (_, i) => start + i),
      area,
    );
    const framed = tf.tidy(() => trainingFrame(config, tf.tensor2d(images, [rows, area])));
    try {
      out.set(framed.dataSync(), start * area);
    } finally {
      framed.dispose();
    }
  }
  return out;
}
