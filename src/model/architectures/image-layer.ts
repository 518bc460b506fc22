/**
 * The base of the encoder's weightless input steps (denoise.ts, equalise.ts, recentre.ts): a layer that
 * maps a flat [n, side*side*channels] batch of images to another, and saves its image format with the
 * encoder; and the brightness map and bright parts they read.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A pixel is bright when the 3x3 mean around it (zeros past the border) exceeds this: gaussian noise of
 * sigma 0.1 on black stays under it, faint outlines of an object do not. Every input step reads it.
 */
export const BRIGHT_THRESHOLD = 0.15;

/**
 * The 3x3 mean brightness around each pixel (channels averaged, zeros past the border) of `images`
 * ([n, side*side*channels]), as [n, side*side]: what the steps call bright. Call inside tf.tidy.
 */
export function localBrightness(images: tf.Tensor2D, side: number, channels: number): tf.Tensor2D {
  const n = images.shape[0];
  const gray = images.reshape([n, side, side, channels]).mean(3, true) as tf.Tensor4D;
  return tf.conv2d(gray, tf.fill([3, 3, 1, 1], 1 / 9) as tf.Tensor4D, 1, 'same').reshape([n, side * side]);
}

/** The bright pixels of `images` (localBrightness above BRIGHT_THRESHOLD), as [n, side, side, 1] of 0 or 1. Call inside tf.tidy. */
export function brightParts(images: tf.Tensor2D, side: number, channels: number): tf.Tensor4D {
  return localBrightness(images, side, channels)
    .reshape([images.shape[0], side, side, 1])
    .greater(BRIGHT_THRESHOLD)
    .toFloat() as tf.Tensor4D;
}

/** Configuration of an image step as saved with the encoder. */
export interface ImageStepArgs {
  readonly side: number;
  readonly channels: number;
  readonly name?: string;
}

/** An input step: `step` maps the batch, `training` says whether the model is training. No weights. */
export abstract class ImageStep extends tf.layers.Layer {
  protected readonly side: number;
  protected readonly channels: number;

  constructor(args: ImageStepArgs) {
    super({ name: args.name });
    this.side = args.side;
    this.channels = args.channels;
  }

  protected abstract step(images: tf.Tensor2D, training: boolean): tf.Tensor2D;

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: { training?: boolean }): tf.Tensor {
    const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor2D;
    return tf.tidy(() => this.step(x, kwargs.training === true));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), side: this.side, channels: this.channels };
  }
}
