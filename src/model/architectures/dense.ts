/** The seed's classic dense autoencoder, 784-256-64-code-64-256-784, and its denoising variant. */
import * as tf from '@tensorflow/tfjs';
import { inputSteps } from './input-steps.js';
import { applyAll, denseLayer, trainableVariables } from './layers.js';
import { trainingLoss } from './losses.js';
import { type ArchConfig, type Autoencoder, inputSize } from './types.js';

/** The layers of a dense autoencoder, in order; `stacked` trains them in pairs. */
export interface DenseLayers {
  /** Input -> hidden[0] -> ... -> code. */
  readonly encoder: tf.layers.Layer[];
  /** Code -> ... -> hidden[0] -> reconstruction (sigmoid). */
  readonly decoder: tf.layers.Layer[];
}

/** Creates the layers of the dense stack described by `config`. */
export function denseLayers(config: ArchConfig): DenseLayers {
  const encoder = config.hidden.map((units, i) => denseLayer(units, 'relu', config.seed + i, `enc_${i}`));
  encoder.push(denseLayer(config.codeSize, config.codeActivation, config.seed + 100, 'code'));
  const decoder = [...config.hidden]
    .reverse()
    .map((units, i) => denseLayer(units, 'relu', config.seed + 200 + i, `dec_${i}`));
  decoder.push(denseLayer(inputSize(config), 'sigmoid', config.seed + 300, 'reconstruction'));
  return { encoder, decoder };
}

/** Wires dense layers into the encoder and decoder models. */
export function denseModels(
  config: ArchConfig,
  layers: DenseLayers,
): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
  const input = tf.input({ shape: [inputSize(config)], name: 'image' });
  const encoder = tf.model({
    inputs: input,
    outputs: applyAll([...inputSteps(config), ...layers.encoder], input),
    name: 'encoder',
  });
  const codeIn = tf.input({ shape: [config.codeSize], name: 'code_in' });
  const decoder = tf.model({ inputs: codeIn, outputs: applyAll(layers.decoder, codeIn), name: 'decoder' });
  return { encoder, decoder };
}

/** Code and reconstruction of a training batch. */
export type Forward = (x: tf.Tensor2D) => { code: tf.Tensor2D; recon: tf.Tensor2D };

/**
 * The Autoencoder of `encoder` and `decoder` with the loss `config` asks for: training runs `forward`
 * (by default the encoder, then the decoder) and scores its code and reconstruction.
 */
export function assembleAutoencoder(
  config: ArchConfig,
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  forward?: Forward,
): Autoencoder {
  const throughModels: Forward = (x) => {
    const code = encoder.apply(x, { training: true }) as tf.Tensor2D;
    const recon = decoder.apply(code, { training: true }) as tf.Tensor2D;
    return { code, recon };
  };
  const run = forward ?? throughModels;
  return {
    config,
    encoder,
    decoder,
    variables: trainableVariables(encoder, decoder),
    loss: (x, target, labels) => trainingLoss(config, { ...run(x), target, labels }),
    dispose: () => {
      encoder.dispose();
      decoder.dispose();
    },
  };
}

/** Builds encoder and decoder of the dense (or denoising: same graph, noisy inputs) autoencoder. */
export function buildDense(config: ArchConfig): Autoencoder {
  const { encoder, decoder } = denseModels(config, denseLayers(config));
  return assembleAutoencoder(config, encoder, decoder);
}
