/** The seed's classic dense autoencoder, 784-256-64-code-64-256-784, and its denoising variant. */
import * as tf from '@tensorflow/tfjs';
import type { ArchConfig, Autoencoder } from './types.js';

function dense(units: number, activation: 'relu' | 'linear' | 'sigmoid', seed: number, name: string) {
  return tf.layers.dense({
    units,
    activation,
    name,
    kernelInitializer: tf.initializers.glorotUniform({ seed }),
    biasInitializer: 'zeros',
  });
}

/** Builds encoder and decoder of the dense (or denoising: same graph, noisy inputs) autoencoder. */
export function buildDense(config: ArchConfig): Autoencoder {
  const inputSize = config.side * config.side;
  const input = tf.input({ shape: [inputSize], name: 'image' });
  let h: tf.SymbolicTensor = input;
  config.hidden.forEach((units, i) => {
    h = dense(units, 'relu', config.seed + i, `enc_${i}`).apply(h) as tf.SymbolicTensor;
  });
  const code = dense(config.codeSize, config.codeActivation, config.seed + 100, 'code').apply(
    h,
  ) as tf.SymbolicTensor;
  const encoder = tf.model({ inputs: input, outputs: code, name: 'encoder' });

  const codeIn = tf.input({ shape: [config.codeSize], name: 'code_in' });
  let d: tf.SymbolicTensor = codeIn;
  [...config.hidden].reverse().forEach((units, i) => {
    d = dense(units, 'relu', config.seed + 200 + i, `dec_${i}`).apply(d) as tf.SymbolicTensor;
  });
  const out = dense(inputSize, 'sigmoid', config.seed + 300, 'reconstruction').apply(d) as tf.SymbolicTensor;
  const decoder = tf.model({ inputs: codeIn, outputs: out, name: 'decoder' });

  const variables = [...encoder.trainableWeights, ...decoder.trainableWeights].map(
    (w) => w.read() as tf.Variable,
  );
  return {
    config,
    encoder,
    decoder,
    variables,
    loss: (x, target) => {
      const recon = decoder.apply(encoder.apply(x, { training: true }), { training: true }) as tf.Tensor2D;
      return tf.losses.meanSquaredError(target, recon) as tf.Scalar;
    },
    dispose: () => {
      encoder.dispose();
      decoder.dispose();
    },
  };
}
