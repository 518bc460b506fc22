/**
 * What the encoder does to an image before its first trained layer: clear a grainy background
 * (`--denoise`, outside training only), equalise its brightness (`--equalise`, in training too) and then
 * re-centre it (`--recentre`, outside training only); and the images the decoder is therefore asked to
 * rebuild (clearing is left out of those: a reconstruction is compared with the image as sent).
 */
import * as tf from '@tensorflow/tfjs';
import { Denoise } from './denoise.js';
import { Equalise, equaliseImages } from './equalise.js';
import { Recentre, recentreImages } from './recentre.js';
import type { ArchConfig } from './types.js';

/** What the input steps need to know of a model. */
export type InputStepsSpec = Pick<ArchConfig, 'denoise' | 'equalise' | 'recentre' | 'side' | 'channels'>;

/**
 * The encoder's first steps for `config`: Denoise with `--denoise`, Equalise with `--equalise`, then
 * Recentre with `--recentre`.
 */
export function inputSteps(config: InputStepsSpec): tf.layers.Layer[] {
  const { side, channels } = config;
  return [
    ...(config.denoise ? [new Denoise({ side, channels, name: 'denoise' })] : []),
    ...(config.equalise ? [new Equalise({ side, channels, name: 'equalise' })] : []),
    ...(config.recentre ? [new Recentre({ side, channels, name: 'recentre' })] : []),
  ];
}

/** Whether training asks the decoder for other images than the clean ones: with `--equalise`. */
export function framesTraining(config: InputStepsSpec): boolean {
  return config.equalise;
}

/**
 * `images` as training asks the decoder to rebuild them: equalised when the model equalises (the
 * trainer frames its database once per run: train/targets.ts). Call inside tf.tidy.
 */
export function trainingFrame(config: InputStepsSpec, images: tf.Tensor2D): tf.Tensor2D {
  return framesTraining(config) ? equaliseImages(images, config.side, config.channels) : images;
}

/**
 * `images` as the decoder rebuilds them from the codes the encoder gives outside training (what
 * reconstructions are compared with): equalised and re-centred as the model does, else themselves.
 * Call inside tf.tidy.
 */
export function decoderFrame(config: InputStepsSpec, images: tf.Tensor2D): tf.Tensor2D {
  const framed = trainingFrame(config, images);
  return config.recentre ? recentreImages(framed, config.side, config.channels) : framed;
}

/** decoderFrame of model inputs given as bytes (count x side x side x channels), as bytes. */
export function decoderFrameBytes(config: InputStepsSpec, inputs: Uint8Array): Uint8Array {
  if ((!config.recentre && !framesTraining(config)) || inputs.length === 0) return inputs;
  const area = config.side * config.side * config.channels;
  const moved = tf.tidy(() =>
    decoderFrame(config, tf.tensor2d(inputs, [inputs.length / area, area], 'float32').div(255) as tf.Tensor2D)
      .mul(255)
      .round()
      .clipByValue(0, 255),
  );
  try {
    return Uint8Array.from(moved.dataSync());
  } finally {
    moved.dispose();
  }
}
