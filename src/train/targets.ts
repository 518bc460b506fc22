/**
 * The images training asks the decoder to rebuild: the database in the model's training frame
 * (equalised when the model equalises, input-steps.ts), computed once per run rather than in every step
 * (the same images come round every epoch). Noisy inputs are not framed here: the encoder's own input
 * step frames them, as it frames queries.
 */
import * as tf from '@tensorflow/tfjs';
import { toFloatImages } from '../dataset/float-images.js';
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
  // the images as floats, then each chunk replaced by its framed self
  const out = toFloatImages(set);
  for (let start = 0; start < set.count; start += CHUNK) {
    const rows = Math.min(CHUNK, set.count - start);
    const images = out.subarray(start * area, (start + rows) * area);
    const framed = tf.tidy(() => trainingFrame(config, tf.tensor2d(images, [rows, area])));
    try {
      images.set(framed.dataSync());
    } finally {
      framed.dispose();
    }
  }
  return out;
}
