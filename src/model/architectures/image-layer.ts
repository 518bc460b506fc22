/**
 * The base of the encoder's weightless input steps (equalise.ts, recentre.ts): a layer that maps a flat
 * [n, side*side*channels] batch of images to another, and saves its image format with the encoder.
 */
import * as tf from '@tensorflow/tfjs';

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
