/**
 * The one-thread runner of a model that can also train on two threads: it computes each step as the
 * same two half-batches the two-thread runner splits it into, one after the other, and combines them the
 * same way, so `--threads 1`, `2` and `auto` give a seeded run the same weights bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import type { Autoencoder } from '../../model/architectures/types.js';
import type { StepRunner } from '../step-runner.js';
import { applyHalves, type Gradients, gradientTensors, halvesLoss, splitHalves } from './halves.js';

async function lossValue(g: Gradients): Promise<number> {
  return (await g.loss.data())[0] ?? Number.NaN;
}

/** Creates the half-batch runner for `model` and `optimizer` on this thread. */
export function createHalvesRunner(model: Autoencoder, optimizer: tf.Optimizer): StepRunner {
  return {
    step: async (batch) => {
      const { first, second, firstWeight, secondWeight } = splitHalves(batch);
      const a = gradientTensors(model, first, firstWeight);
      let b: Gradients | null = null;
      try {
        b = second.n > 0 ? gradientTensors(model, second, secondWeight) : null;
        applyHalves(model, optimizer, a.grads, b?.grads ?? null);
        return halvesLoss(await lossValue(a), b ? await lossValue(b) : null);
      } finally {
        tf.dispose([a.loss, ...a.grads, ...(b ? [b.loss, ...b.grads] : [])]);
      }
    },
    dispose: () => {},
  };
}
