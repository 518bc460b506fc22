/**
 * Equalising brightness (`--equalise`): the encoder first raises each image to the power that brings the
 * mean of its bright parts (the 3x3 means above BRIGHT_THRESHOLD, as re-centring finds them) to
 * EQUALISE_TARGET. A dark shirt and a bright one of the same cut then reach the rest of the encoder
 * alike, and faint details (straps, prints, the inside of a sandal) are lifted where the code can see
 * them. Unlike re-centring it acts in training as well: the autoencoder learns to rebuild equalised
 * images (trainingFrame), so it learns the noise equalising lifts too. Registered with tfjs
 * serialisation on import: a saved encoder that starts with it loads only after this module is imported
 * (model-io.ts does, through input-steps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { BRIGHT_THRESHOLD, ImageStep, localBrightness } from './image-layer.js';

/** Mean of the bright parts after equalising: about the collection's median (0.56 on Fashion-MNIST). */
export const EQUALISE_TARGET = 0.6;

/** Powers are kept in this range, so an almost black or almost white image is not pushed to extremes. */
const POWER_RANGE = [0.25, 4] as const;

/** Pixels are read as at least this before taking logarithms: black comes out below 1e-7 at the smallest power. */
const TINY = 1e-30;

/** Bright-part means are read in this range before taking logarithms. */
const MEAN_RANGE = [0.05, 0.95] as const;

/**
 * The power each of `images` ([n, side*side*channels], values in [0, 1]) is raised to, shape [n, 1]:
 * log(target) / log(mean of its bright parts), 1 for an image with none. Call inside tf.tidy.
 */
export function equalisePowers(images: tf.Tensor2D, side: number, channels: number): tf.Tensor2D {
  const smooth = localBrightness(images, side, channels);
  const bright = smooth.greater(BRIGHT_THRESHOLD).toFloat();
  const count = bright.sum(1, true);
  const mean = smooth
    .mul(bright)
    .sum(1, true)
    .div(count.maximum(1))
    .clipByValue(...MEAN_RANGE);
  const power = tf
    .scalar(Math.log(EQUALISE_TARGET))
    .div(mean.log())
    .clipByValue(...POWER_RANGE);
  return tf.where(count.greater(0), power, tf.onesLike(power)) as tf.Tensor2D;
}

/** `images` ([n, side*side*channels], values in [0, 1]) equalised as the module comment says. Call inside tf.tidy. */
export function equaliseImages(images: tf.Tensor2D, side: number, channels: number): tf.Tensor2D {
  // exp(p log x) rather than pow: a quarter of the time on the wasm backend; black stays below 1e-7
  const power = equalisePowers(images, side, channels);
  return tf.exp(tf.log(images.maximum(TINY)).mul(power)) as tf.Tensor2D;
}

/** The layer form of equaliseImages, first in an encoder trained with `--equalise`; the same in training. */
export class Equalise extends ImageStep {
  static readonly className = 'AesearchEqualise';

  protected step(images: tf.Tensor2D): tf.Tensor2D {
    return equaliseImages(images, this.side, this.channels);
  }
}

tf.serialization.registerClass(Equalise);
