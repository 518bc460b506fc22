/** Small builders shared by the architectures: seeded layers and the variable list of built models. */
import * as tf from '@tensorflow/tfjs';

/** Activations the architectures use. */
export type Activation = 'relu' | 'linear' | 'sigmoid';

/** A dense layer with a seeded Glorot initialiser (same seed, same start). */
export function denseLayer(
  units: number,
  activation: Activation,
  seed: number,
  name: string,
  inputShape?: number[],
): tf.layers.Layer {
  return tf.layers.dense({
    units,
    activation,
    name,
    ...(inputShape ? { inputShape } : {}),
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
  });
}

/** Applies `layers` in order to a symbolic tensor. */
export function applyAll(layers: readonly tf.layers.Layer[], input: tf.SymbolicTensor): tf.SymbolicTensor {
  return layers.reduce((h, layer) => layer.apply(h) as tf.SymbolicTensor, input);
}

/** Applies `layers` in order to a concrete tensor (training paths that need intermediate values). */
export function runAll(layers: readonly tf.layers.Layer[], input: tf.Tensor): tf.Tensor {
  return layers.reduce((h, layer) => layer.apply(h) as tf.Tensor, input);
}

/** Every trainable variable of `models`, in order, without duplicates (shared layers appear once). */
export function trainableVariables(...models: tf.LayersModel[]): tf.Variable[] {
  const seen = new Set<tf.Variable>();
  for (const model of models) {
    for (const w of model.trainableWeights) seen.add(w.read() as tf.Variable);
  }
  return [...seen];
}

/**
 * Runs `f` on `x` without letting gradients flow back through it: the ops inside a custom gradient's
 * forward pass are not recorded, so variables `f` reads get no gradient at all (not a zero one, which
 * Adam's momentum would still turn into an update).
 */
export function withoutGradient(f: (x: tf.Tensor) => tf.Tensor, x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((input) => {
    const t = input as tf.Tensor;
    return { value: f(t), gradFunc: () => tf.zerosLike(t) };
  });
  return op(x);
}
