/**
 * The convolutional autoencoder (the seed's section 3): conv + 2x2 max-pool blocks, optional dense
 * layers, a dense code; the decoder mirrors it with unpooling and transposed convolutions.
 */
import * as tf from '@tensorflow/tfjs';
import { createError } from '../../errors.js';
import { assembleAutoencoder } from './dense.js';
import { inputSteps } from './input-steps.js';
import { applyAll, denseLayer, runAll } from './layers.js';
import { type ArchConfig, type Autoencoder, inputSize } from './types.js';
import { maxUnpool } from './unpool.js';

interface ConvLayers {
  readonly convs: tf.layers.Layer[];
  readonly pools: tf.layers.Layer[];
  /** Flatten, hidden dense layers, code. */
  readonly toCode: tf.layers.Layer[];
  /** Hidden dense layers, the dense layer that feeds the first unpool, its reshape. */
  readonly fromCode: tf.layers.Layer[];
  /** Per block: what stands for the unpool in the saved decoder (empty for `transpose`). */
  readonly unpools: tf.layers.Layer[][];
  readonly deconvs: tf.layers.Layer[];
}

function glorot(seed: number) {
  return tf.initializers.glorotUniform({ seed });
}

/** The decoder's unpool stand-in: `copy` repeats; `argmax` without known maxima spreads each value evenly. */
function unpoolLayers(config: ArchConfig, i: number): tf.layers.Layer[] {
  const mode = config.conv.unpool;
  if (mode === 'transpose') return [];
  const up = tf.layers.upSampling2d({ size: [2, 2], name: `unpool_${i}` });
  if (mode === 'copy') return [up];
  return [up, tf.layers.rescaling({ scale: 0.25, name: `unpool_spread_${i}` })];
}

function convLayers(config: ArchConfig): ConvLayers {
  const { filters, kernelSize, unpool } = config.conv;
  const small = config.side / 2 ** filters.length;
  const last = filters[filters.length - 1] ?? 1;
  const seed = config.seed;
  const dense = (units: number, i: number, prefix: string, base: number) =>
    denseLayer(units, 'relu', seed + base + i, `${prefix}_${i}`);
  return {
    convs: filters.map((f, i) =>
      tf.layers.conv2d({
        filters: f,
        kernelSize,
        padding: 'same',
        activation: 'relu',
        name: `conv_${i}`,
        kernelInitializer: glorot(seed + 400 + i),
      }),
    ),
    pools: filters.map((_, i) => tf.layers.maxPooling2d({ poolSize: 2, name: `pool_${i}` })),
    toCode: [
      tf.layers.flatten({ name: 'flatten' }),
      ...config.hidden.map((units, i) => dense(units, i, 'enc', 0)),
      denseLayer(config.codeSize, config.codeActivation, seed + 100, 'code'),
    ],
    fromCode: [
      ...[...config.hidden].reverse().map((units, i) => dense(units, i, 'dec', 200)),
      denseLayer(small * small * last, 'relu', seed + 300, 'expand'),
      tf.layers.reshape({ targetShape: [small, small, last], name: 'unflatten' }),
    ],
    unpools: filters.map((_, i) => unpoolLayers(config, i)),
    deconvs: filters.map((_, i) =>
      tf.layers.conv2dTranspose({
        filters: i > 0 ? (filters[i - 1] ?? 1) : config.channels,
        kernelSize,
        strides: unpool === 'transpose' ? 2 : 1,
        padding: 'same',
        activation: i > 0 ? 'relu' : 'sigmoid',
        name: `deconv_${i}`,
        kernelInitializer: glorot(seed + 500 + i),
      }),
    ),
  };
}

function convModels(config: ArchConfig, l: ConvLayers): { encoder: tf.LayersModel; decoder: tf.LayersModel } {
  const input = tf.input({ shape: [inputSize(config)], name: 'image' });
  let h = tf.layers
    .reshape({ targetShape: [config.side, config.side, config.channels], name: 'to_grid' })
    .apply(applyAll(inputSteps(config), input)) as tf.SymbolicTensor;
  l.convs.forEach((conv, i) => {
    h = applyAll([conv, l.pools[i] as tf.layers.Layer], h);
  });
  const encoder = tf.model({ inputs: input, outputs: applyAll(l.toCode, h), name: 'encoder' });
  const codeIn = tf.input({ shape: [config.codeSize], name: 'code_in' });
  let d = applyAll(l.fromCode, codeIn);
  for (let i = l.deconvs.length - 1; i >= 0; i--) {
    d = applyAll([...(l.unpools[i] ?? []), l.deconvs[i] as tf.layers.Layer], d);
  }
  const out = tf.layers.flatten({ name: 'to_flat' }).apply(d) as tf.SymbolicTensor;
  return { encoder, decoder: tf.model({ inputs: codeIn, outputs: out, name: 'decoder' }) };
}

/** Code and reconstruction through the encoder's remembered maxima (`argmax` training path). */
function argmaxForward(
  config: ArchConfig,
  l: ConvLayers,
  x: tf.Tensor2D,
): { code: tf.Tensor2D; recon: tf.Tensor2D } {
  let h: tf.Tensor = x.reshape([-1, config.side, config.side, config.channels]);
  const pre: tf.Tensor4D[] = [];
  l.convs.forEach((conv, i) => {
    h = conv.apply(h) as tf.Tensor4D;
    pre.push(h as tf.Tensor4D);
    h = (l.pools[i] as tf.layers.Layer).apply(h) as tf.Tensor;
  });
  const code = runAll(l.toCode, h) as tf.Tensor2D;
  let d = runAll(l.fromCode, code) as tf.Tensor4D;
  for (let i = l.deconvs.length - 1; i >= 0; i--) {
    d = (l.deconvs[i] as tf.layers.Layer).apply(maxUnpool(d, pre[i] as tf.Tensor4D)) as tf.Tensor4D;
  }
  return { code, recon: d.reshape([x.shape[0], -1]) };
}

/** Builds the conv autoencoder; throws BAD_OPTION when the side does not halve evenly once per block. */
export function buildConv(config: ArchConfig): Autoencoder {
  const blocks = config.conv.filters.length;
  if (blocks === 0 || config.side % 2 ** blocks !== 0)
    throw createError('BAD_OPTION', {
      name: 'the image side',
      expected: `a multiple of ${2 ** blocks} for ${blocks} conv blocks`,
      got: config.side,
    });
  const layers = convLayers(config);
  const { encoder, decoder } = convModels(config, layers);
  const forward =
    config.conv.unpool === 'argmax' ? (x: tf.Tensor2D) => argmaxForward(config, layers, x) : undefined;
  return assembleAutoencoder(config, encoder, decoder, forward);
}
