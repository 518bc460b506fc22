/**
 * Max-unpooling to the remembered positions (SegNet's decoder): each value goes back to where its 2x2
 * window's maximum was in the encoder, zeros elsewhere. A custom gradient treats the positions as
 * constants, as SegNet does; tfjs has no gradient for MaxPoolWithArgmax.
 */
import * as tf from '@tensorflow/tfjs';

/** A 0/1 mask of `pre`'s shape with a 1 where each 2x2 window of `pre` has its (first) maximum. */
export function maxPositions(pre: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [, h, w, c] = pre.shape;
    const { indexes } = tf.maxPoolWithArgmax(pre, 2, 2, 'valid', false) as { indexes: tf.Tensor4D };
    // indexes hold (y * w + x) * c + channel inside each image; spread each over its window and compare
    const spread = tf.image.resizeNearestNeighbor(indexes.cast('float32') as tf.Tensor4D, [h, w]);
    const grid = tf.range(0, h * w * c, 1, 'float32').reshape([1, h, w, c]);
    return tf.equal(spread, grid).cast('float32') as tf.Tensor4D;
  });
}

/** Unpools `pooled` [n, h/2, w/2, c] to [n, h, w, c] at the maxima of `pre` [n, h, w, c]. */
export function maxUnpool(pooled: tf.Tensor4D, pre: tf.Tensor4D): tf.Tensor4D {
  const op = tf.customGrad((y, x, save) => {
    const source = x as tf.Tensor4D;
    const mask = maxPositions(source);
    const [, h, w] = source.shape;
    const value = tf.image.resizeNearestNeighbor(y as tf.Tensor4D, [h, w]).mul(mask) as tf.Tensor4D;
    (save as tf.GradSaveFunc)([mask]);
    return {
      value,
      gradFunc: (dy: tf.Tensor4D, saved: tf.Tensor[]) => {
        const kept = dy.mul(saved[0] as tf.Tensor4D) as tf.Tensor4D;
        // each window's gradient is the sum of its kept entries: 4 x the 2x2 average
        return [tf.avgPool(kept, 2, 2, 'valid').mul(4), tf.zerosLike(source)];
      },
    };
  });
  return op(pooled, pre) as tf.Tensor4D;
}
