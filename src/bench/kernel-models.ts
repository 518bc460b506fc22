/**
 * The training workloads the kernel benchmark measures: a dense AE, a conv AE, a dense VAE and a denoising
 * dense AE, all on 28x28x1 inputs with Adam and MSE. Self-contained on purpose: the benchmark must not
 * move when the project's real architectures change.
 */
import * as tf from '@tensorflow/tfjs';

/** One benchmarkable training workload. */
export interface Workload {
  readonly name: string;
  readonly batchSize: number;
  /** Runs one optimiser step on a fixed batch; resolves when the step's work is done. */
  step(): Promise<void>;
  dispose(): void;
}

const IMAGE_PIXELS = 28 * 28;
const DENSE_SIZES = [256, 64, 20, 64, 256];

function denseAutoencoder(): tf.LayersModel {
  const model = tf.sequential();
  DENSE_SIZES.forEach((units, i) => {
    model.add(
      tf.layers.dense({ units, activation: 'relu', ...(i === 0 ? { inputShape: [IMAGE_PIXELS] } : {}) }),
    );
  });
  model.add(tf.layers.dense({ units: IMAGE_PIXELS, activation: 'sigmoid' }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

function convAutoencoder(): tf.LayersModel {
  const same = { kernelSize: 3, padding: 'same' } as const;
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, activation: 'relu', ...same }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 64, activation: 'relu', ...same }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: 32 }),
      tf.layers.dense({ units: 7 * 7 * 64, activation: 'relu' }),
      tf.layers.reshape({ targetShape: [7, 7, 64] }),
      tf.layers.conv2dTranspose({ filters: 64, strides: 2, activation: 'relu', ...same }),
      tf.layers.conv2dTranspose({ filters: 32, strides: 2, activation: 'relu', ...same }),
      tf.layers.conv2d({ filters: 1, activation: 'sigmoid', ...same }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'meanSquaredError' });
  return model;
}

function layersWorkload(
  name: string,
  model: tf.LayersModel,
  x: tf.Tensor,
  noisy?: () => tf.Tensor,
): Workload {
  return {
    name,
    batchSize: x.shape[0] ?? 0,
    step: async () => {
      const input = noisy ? noisy() : x;
      await model.trainOnBatch(input, x);
      if (input !== x) input.dispose();
    },
    dispose: () => {
      x.dispose();
      model.layers.forEach((l) => {
        l.dispose();
      });
    },
  };
}

/** Dense 784-256-64-20-64-256-784 autoencoder (relu, sigmoid out). */
export function denseWorkload(batchSize: number): Workload {
  return layersWorkload(
    `dense AE b${batchSize}`,
    denseAutoencoder(),
    tf.randomUniform([batchSize, IMAGE_PIXELS]),
  );
}

/** Conv autoencoder: conv32-pool-conv64-pool-dense32-dense3136-convT64-convT32-conv1. */
export function convWorkload(batchSize: number): Workload {
  return layersWorkload(`conv AE b${batchSize}`, convAutoencoder(), tf.randomUniform([batchSize, 28, 28, 1]));
}

/** The dense AE fed Gaussian noise (sigma 0.2) plus 10% masked pixels, reconstructing the clean batch. */
export function denoisingWorkload(batchSize: number): Workload {
  const x = tf.randomUniform([batchSize, IMAGE_PIXELS]);
  const noisy = () =>
    tf.tidy(() => {
      const keep = tf.randomUniform(x.shape).greater(0.1).cast('float32');
      return x
        .add(tf.randomNormal(x.shape, 0, 0.2))
        .mul(keep)
        .clipByValue(0, 1);
    });
  return layersWorkload(`denoising AE b${batchSize}`, denseAutoencoder(), x, noisy);
}

/** Dense VAE 784-256-64-(mu, logvar 20)-64-256-784 with reparameterised sampling and a KL term. */
export function vaeWorkload(batchSize: number): Workload {
  const x = tf.randomUniform([batchSize, IMAGE_PIXELS]);
  const dense = (units: number, activation?: 'relu' | 'sigmoid') =>
    tf.layers.dense({ units, ...(activation ? { activation } : {}) });
  const encoder = [dense(256, 'relu'), dense(64, 'relu')];
  const mu = dense(20);
  const logVar = dense(20);
  const decoder = [dense(64, 'relu'), dense(256, 'relu'), dense(IMAGE_PIXELS, 'sigmoid')];
  const optimizer = tf.train.adam(1e-3);
  const run = (layers: tf.layers.Layer[], t: tf.Tensor) =>
    layers.reduce((h, l) => l.apply(h) as tf.Tensor, t);
  const loss = () => {
    const h = run(encoder, x);
    const m = mu.apply(h) as tf.Tensor;
    const lv = logVar.apply(h) as tf.Tensor;
    const z = m.add(tf.exp(lv.mul(0.5)).mul(tf.randomNormal(m.shape)));
    const recon = tf.losses.meanSquaredError(x, run(decoder, z)).mul(IMAGE_PIXELS);
    const kl = tf.sum(tf.exp(lv).add(m.square()).sub(lv).sub(1), 1).mean().mul(0.5);
    return recon.add(kl) as tf.Scalar;
  };
  // minimize() differentiates against the variables that exist when it is called: create them first.
  tf.tidy(() => {
    loss();
  });
  return {
    name: `VAE b${batchSize}`,
    batchSize,
    step: async () => {
      const value = optimizer.minimize(loss, true);
      await value?.data();
      value?.dispose();
    },
    dispose: () => {
      x.dispose();
      optimizer.dispose();
      for (const l of [...encoder, mu, logVar, ...decoder]) l.dispose();
    },
  };
}
