/**
 * Clearing a noisy background (`--denoise`): at search time the encoder first looks at the image's dark
 * background, the pixels more than 2 px from its bright parts (brightParts: the 3x3 means above
 * BRIGHT_THRESHOLD, as re-centring finds them). On a clean image of an object on black those are black, or
 * dark parts of the object in one piece; grain leaves lit pixels scattered among black ones. When more
 * than DENOISE_GATE of the background's pixels are such specks (lit, beside at least one black pixel),
 * everything but the bright parts and the pixel around them is set to black, so the noise no later step
 * could tell from faint detail never reaches the code. Images under the gate pass unchanged. Training is
 * unchanged: the layer passes images through while training (noisy training copies still teach
 * robustness); and the decoder's frame leaves it out, so the unusual-query warning still compares a
 * reconstruction with the image as sent. Registered with tfjs serialisation on import: a saved encoder
 * that starts with it loads only after this module is imported (model-io.ts does, through input-steps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { brightParts, ImageStep } from './image-layer.js';

/**
 * Images whose background holds more specks than this share are cleared. On Fashion-MNIST the clean
 * images stay under 0.25 (99.9% of them), queries with gaussian noise of sigma 0.1 are above 0.34 (99%).
 */
export const DENOISE_GATE = 0.3;

/** Pixels within this many of a bright part are not background for the count. */
const BACKGROUND_MARGIN = 2;

/** Pixels within this many of a bright part are kept when an image is cleared. */
const KEEP_MARGIN = 1;

/** Each image's bright parts grown by `margin` pixels, [n, side, side, 1] of 0 or 1. */
function grown(bright: tf.Tensor4D, margin: number): tf.Tensor4D {
  const size = 2 * margin + 1;
  return tf.maxPool(bright, [size, size], 1, 'same');
}

/** A 3x3 kernel counting the four neighbours of a pixel. */
function fourNeighbours(): tf.Tensor4D {
  return tf.tensor4d([0, 1, 0, 1, 0, 1, 0, 1, 0], [3, 3, 1, 1]);
}

/**
 * Of each of `images` ([n, side*side*channels], values in [0, 1]), the share of its background pixels
 * that are specks, as [n, 1]: 0 for an image with no background. Call inside tf.tidy.
 */
export function speckleShare(images: tf.Tensor2D, side: number, channels: number): tf.Tensor2D {
  return speckleOf(images, brightParts(images, side, channels), side, channels);
}

function speckleOf(images: tf.Tensor2D, bright: tf.Tensor4D, side: number, channels: number): tf.Tensor2D {
  const n = images.shape[0];
  const lit = images.reshape([n, side, side, channels]).max(3, true).greater(0).toFloat() as tf.Tensor4D;
  const black = tf.scalar(1).sub(lit) as tf.Tensor4D;
  // neighbours past the border are not black: conv2d's 'same' pads with zeros
  const besideBlack = tf.conv2d(black, fourNeighbours(), 1, 'same').greater(0).toFloat();
  const background = tf.scalar(1).sub(grown(bright, BACKGROUND_MARGIN));
  const specks = lit.mul(besideBlack).mul(background).sum([1, 2, 3]);
  return specks.div(background.sum([1, 2, 3]).maximum(1)).reshape([n, 1]) as tf.Tensor2D;
}

/** `images` ([n, side*side*channels], values in [0, 1]) cleared as the module comment says. Call inside tf.tidy. */
export function denoiseImages(images: tf.Tensor2D, side: number, channels: number): tf.Tensor2D {
  const n = images.shape[0];
  const bright = brightParts(images, side, channels);
  const noisy = speckleOf(images, bright, side, channels).greater(DENOISE_GATE).reshape([n, 1, 1, 1]);
  const keep = tf.where(noisy, grown(bright, KEEP_MARGIN), tf.onesLike(bright));
  return images
    .reshape([n, side, side, channels])
    .mul(keep)
    .reshape([n, side * side * channels]) as tf.Tensor2D;
}

/**
 * The layer form of denoiseImages, first in an encoder trained with `--denoise`: passes its input
 * through while training, clears noisy backgrounds otherwise.
 */
export class Denoise extends ImageStep {
  static readonly className = 'AesearchDenoise';

  protected step(images: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return training ? images : denoiseImages(images, this.side, this.channels);
  }
}

tf.serialization.registerClass(Denoise);
