/**
 * The stacked autoencoder (the seed's use 3): the dense stack trained greedily one layer at a time, each
 * as a shallow autoencoder of the frozen layers' output, then fine-tuned as a whole.
 */
import * as tf from '@tensorflow/tfjs';
import { assembleAutoencoder, denseLayers, denseModels } from './dense.js';
import { trainingFrame } from './input-steps.js';
import { runAll, withoutGradient } from './layers.js';
import type { ArchConfig, Autoencoder } from './types.js';

/** The stage of `epoch` (1-based): 0 .. depth-1 pre-train that layer, depth fine-tunes everything. */
export function stackedStage(config: ArchConfig, epoch: number): number {
  const depth = config.hidden.length + 1;
  if (config.pretrainEpochs <= 0) return depth;
  return Math.min(depth, Math.floor((epoch - 1) / config.pretrainEpochs));
}

/** Builds the stacked autoencoder; it fine-tunes until `beginEpoch` puts it into a pre-training stage. */
export function buildStacked(config: ArchConfig): Autoencoder {
  const layers = denseLayers(config);
  const { encoder, decoder } = denseModels(config, layers);
  const depth = layers.encoder.length;
  let stage = depth;
  const layerLoss = (x: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar => {
    const lower = layers.encoder.slice(0, stage);
    const features = (t: tf.Tensor2D) => (stage > 0 ? withoutGradient((v) => runAll(lower, v), t) : t);
    // the encoder's input steps (equalising) come before its first dense layer; the target is framed
    const input = features(trainingFrame(config, x));
    const wanted = x === target ? input : features(target);
    const pair = [layers.encoder[stage], layers.decoder[depth - 1 - stage]] as tf.layers.Layer[];
    return tf.losses.meanSquaredError(wanted, runAll(pair, input)) as tf.Scalar;
  };
  const plain = assembleAutoencoder(config, encoder, decoder);
  return {
    ...plain,
    loss: (x, target, labels) => (stage < depth ? layerLoss(x, target) : plain.loss(x, target, labels)),
    beginEpoch: (epoch) => {
      stage = stackedStage(config, epoch);
    },
  };
}
