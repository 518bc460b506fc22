/**
 * Re-centring (`--recentre`): at search time the encoder first moves each image so that its object sits
 * where the collection's objects sit, the way Fashion-MNIST framed them (the bounding box centred, its
 * long side spanning the frame). Per axis, from the extent of the image's bright parts: an object clear
 * of both borders is centred; one touching a single border was moved towards it and is moved back until
 * its far edge meets the other border; one touching both, or nothing bright, stays. A shifted copy of an
 * image then reaches the rest of the encoder as the image does. Training is unchanged: the layer passes
 * images through while training (shifted training copies still teach robustness), so it only aligns
 * what is embedded. Registered with tfjs serialisation on import: a saved encoder that starts with it
 * loads only after this module is imported (model-io.ts does, through input-steps.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { brightParts, ImageStep } from './image-layer.js';

/** Centring moves below this many pixels are left undone (rounding in the collection's own framing). */
const DEAD_ZONE = 0.5;

/** Offsets (n) along one axis from which rows (or columns) hold bright pixels: occupied [n, side], 0 or 1. */
function offsetsOf(occupied: tf.Tensor2D, side: number): tf.Tensor1D {
  const any = occupied.max(1).greater(0);
  const first = tf.argMax(occupied, 1).toFloat();
  const last = tf.scalar(side - 1).sub(tf.argMax(tf.reverse(occupied, 1), 1).toFloat());
  const low = first.equal(0);
  const high = last.equal(side - 1);
  const centre = tf.scalar((side - 1) / 2).sub(first.add(last).div(2));
  const centred = tf.where(centre.abs().lessEqual(DEAD_ZONE), tf.zerosLike(centre), centre);
  const zero = tf.zerosLike(first);
  const moved = tf.where(
    low.logicalAnd(high),
    zero,
    tf.where(low, tf.scalar(side - 1).sub(last), tf.where(high, first.neg(), centred)),
  );
  return tf.where(any, moved, zero) as tf.Tensor1D;
}

/**
 * The interpolation matrices moving each image by `offsets` (n) along one axis of length `side`:
 * out[i] = sum_j m[i][j] in[j] with m[i][j] = max(0, 1 - |j - (i - offset)|), zero past the border.
 */
function moveMatrices(offsets: tf.Tensor1D, side: number): tf.Tensor3D {
  const out = tf.range(0, side).reshape([1, side, 1]);
  const from = tf.range(0, side).reshape([1, 1, side]);
  const source = out.sub(offsets.reshape([-1, 1, 1]));
  return tf.relu(tf.scalar(1).sub(from.sub(source).abs())) as tf.Tensor3D;
}

/** Each of `images` ([n, side*side*channels], channels interleaved) moved by its offsets (bilinear). */
function moveImages(
  images: tf.Tensor2D,
  dx: tf.Tensor1D,
  dy: tf.Tensor1D,
  side: number,
  channels: number,
): tf.Tensor2D {
  const n = images.shape[0];
  // Columns first: [n, channels*side rows, side columns] times the column matrices.
  const planes = images
    .reshape([n, side, side, channels])
    .transpose([0, 3, 1, 2])
    .reshape([n, channels * side, side]);
  const movedX = tf.matMul(planes, moveMatrices(dx, side), false, true);
  // Then rows: [n, side rows, channels*side] with the row matrices on the left.
  const rows = movedX
    .reshape([n, channels, side, side])
    .transpose([0, 2, 1, 3])
    .reshape([n, side, channels * side]);
  const moved = tf.matMul(moveMatrices(dy, side), rows);
  return moved.reshape([n, side, channels, side]).transpose([0, 1, 3, 2]).reshape([n, -1]) as tf.Tensor2D;
}

/**
 * `images` ([n, side*side*channels], values in [0, 1]) re-centred as the module comment says. Call
 * inside tf.tidy.
 */
export function recentreImages(images: tf.Tensor2D, side: number, channels: number): tf.Tensor2D {
  const n = images.shape[0];
  const bright = brightParts(images, side, channels).reshape([n, side, side]);
  const dy = offsetsOf(bright.max(2) as tf.Tensor2D, side);
  const dx = offsetsOf(bright.max(1) as tf.Tensor2D, side);
  return moveImages(images, dx, dy, side, channels);
}

/**
 * The layer form of recentreImages, first in an encoder trained with `--recentre`: passes its input
 * through while training, re-centres it otherwise.
 */
export class Recentre extends ImageStep {
  static readonly className = 'AesearchRecentre';

  protected step(images: tf.Tensor2D, training: boolean): tf.Tensor2D {
    return training ? images : recentreImages(images, this.side, this.channels);
  }
}

tf.serialization.registerClass(Recentre);
