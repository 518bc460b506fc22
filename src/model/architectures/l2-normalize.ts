/**
 * A layer that scales each code to unit length, so that L2 search over codes ranks exactly as cosine
 * search does. Registered with tfjs serialisation on import: a saved encoder that ends with it loads
 * only after this module is imported (model-io.ts does).
 */
import * as tf from '@tensorflow/tfjs';

// keeps an all-zero code at zero instead of dividing by zero
const EPSILON = 1e-12;

/** Divides each row by its L2 norm. No weights. */
export class L2Normalize extends tf.layers.Layer {
  static readonly className = 'AesearchL2Normalize';

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = Array.isArray(inputs) ? (inputs[0] as tf.Tensor) : inputs;
      return tf.div(x, tf.norm(x, 'euclidean', -1, true).maximum(EPSILON));
    });
  }

  override getClassName(): string {
    return L2Normalize.className;
  }
}

tf.serialization.registerClass(L2Normalize);
