/**
 * The variational autoencoder: the dense stack with a second head for the code's log-variance. Training
 * decodes a sample mean + sigma * noise and adds the KL divergence to N(0, I); the saved encoder outputs
 * the mean, which is the code search uses.
 */
import * as tf from '@tensorflow/tfjs';
import { denseLayers, denseModels } from './dense.js';
import { applyAll, denseLayer, trainableVariables } from './layers.js';
import { trainingLoss } from './losses.js';
import { type ArchConfig, type Autoencoder, inputSize } from './types.js';

/** KL(N(mu, exp(logVar)) || N(0, I)) per image, averaged over the batch. */
export function gaussianKl(mu: tf.Tensor2D, logVar: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => logVar.exp().add(mu.square()).sub(logVar).sub(1).sum(1).mean().mul(0.5)) as tf.Scalar;
}

/** Builds the VAE; `config.klWeight` weighs the KL (per image, divided by the pixel count) against the per-pixel MSE. */
export function buildVae(config: ArchConfig): Autoencoder {
  const layers = denseLayers(config);
  const { encoder, decoder } = denseModels(config, layers);
  const input = tf.input({ shape: [inputSize(config)], name: 'image' });
  const hidden = applyAll(layers.encoder.slice(0, -1), input);
  const mu = applyAll(layers.encoder.slice(-1), hidden);
  const logVar = denseLayer(config.codeSize, 'linear', config.seed + 150, 'code_log_var').apply(hidden);
  const heads = tf.model({ inputs: input, outputs: [mu, logVar as tf.SymbolicTensor], name: 'vae_heads' });
  const area = inputSize(config);
  let draws = 0;
  return {
    config,
    encoder,
    decoder,
    variables: trainableVariables(heads, decoder),
    loss: (x, target, labels) => {
      const [m, lv] = heads.apply(x, { training: true }) as [tf.Tensor2D, tf.Tensor2D];
      const noise = tf.randomNormal(m.shape, 0, 1, 'float32', config.seed * 1_000_003 + draws++);
      const z = m.add(noise.mul(lv.mul(0.5).exp())) as tf.Tensor2D;
      const recon = decoder.apply(z, { training: true }) as tf.Tensor2D;
      const extra = gaussianKl(m, lv).mul(config.klWeight / area) as tf.Scalar;
      return trainingLoss(config, { code: m, recon, target, labels, extra });
    },
    dispose: () => {
      heads.dispose();
      encoder.dispose();
      decoder.dispose();
    },
  };
}
