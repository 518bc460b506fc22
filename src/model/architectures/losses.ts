/**
 * The loss terms every architecture shares: per-pixel reconstruction MSE, the unsupervised two-view
 * invariance terms (VICReg, NT-Xent) and the few-label supervised contrastive term. Call inside tf.tidy
 * or an optimiser's minimize.
 */
import * as tf from '@tensorflow/tfjs';
import { denseLayer } from './layers.js';
import type { ArchConfig, InvarianceConfig } from './types.js';

// Added to logits that must not count in a softmax; exp() of it is 0 in float32.
const MASKED_LOGIT = -1e9;

/** The codes of rows 0, 2, 4, ... and of rows 1, 3, 5, ...: the two views of each image. */
function splitViews(code: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D] {
  const [rows, dims] = code.shape;
  const pairs = code.reshape([rows / 2, 2, dims]);
  const a = pairs.slice([0, 0, 0], [-1, 1, -1]).reshape([rows / 2, dims]) as tf.Tensor2D;
  const b = pairs.slice([0, 1, 0], [-1, 1, -1]).reshape([rows / 2, dims]) as tf.Tensor2D;
  return [a, b];
}

/** VICReg's variance hinge: mean over dimensions of max(0, 1 - std). */
function varianceHinge(z: tf.Tensor2D): tf.Scalar {
  const std = tf.sqrt(tf.moments(z, 0).variance.add(1e-4));
  return tf.relu(tf.scalar(1).sub(std)).mean() as tf.Scalar;
}

/** VICReg's covariance term: squared off-diagonal covariances, summed, over the dimension count. */
function offDiagonalCovariance(z: tf.Tensor2D): tf.Scalar {
  const [n, dims] = z.shape;
  const centred = z.sub(z.mean(0));
  const cov = tf.matMul(centred, centred, true, false).div(Math.max(n - 1, 1));
  const offDiagonal = cov.mul(tf.scalar(1).sub(tf.eye(dims)));
  return offDiagonal.square().sum().div(dims) as tf.Scalar;
}

/**
 * VICReg (Bardes et al. 2022) on paired views, with the paper's 25:25:1 weights divided by 25:
 * MSE between views + variance hinges + covariance/25.
 */
export function vicregLoss(code: tf.Tensor2D): tf.Scalar {
  const [a, b] = splitViews(code);
  const invariance = tf.losses.meanSquaredError(a, b);
  const variance = varianceHinge(a).add(varianceHinge(b));
  const covariance = offDiagonalCovariance(a).add(offDiagonalCovariance(b)).div(25);
  return invariance.add(variance).add(covariance) as tf.Scalar;
}

/**
 * Contrastive loss on L2-normalised codes with a positives mask: for each anchor with at least one
 * positive, minus the mean log-softmax of its positives over every allowed other row. `allowed` (0/1,
 * [rows, rows]) says which rows may appear in the denominators; the diagonal never does.
 */
export function maskedContrastiveLoss(
  code: tf.Tensor2D,
  positives: tf.Tensor2D,
  allowed: tf.Tensor2D,
  temperature: number,
): tf.Scalar {
  const rows = code.shape[0];
  const z = tf.div(code, tf.norm(code, 'euclidean', 1, true).add(1e-8));
  const notSelf = tf.scalar(1).sub(tf.eye(rows));
  const keep = allowed.mul(notSelf);
  const logits = tf.matMul(z, z, false, true).div(temperature).add(tf.scalar(1).sub(keep).mul(MASKED_LOGIT));
  const logProb = logits.sub(tf.logSumExp(logits, 1, true));
  const pos = positives.mul(keep);
  const count = pos.sum(1);
  const perAnchor = pos.mul(logProb).sum(1).div(count.maximum(1));
  const anchors = count.greater(0).cast('float32');
  return perAnchor.mul(anchors).sum().neg().div(anchors.sum().maximum(1)) as tf.Scalar;
}

/** NT-Xent (SimCLR): the other view of the same image is the one positive; every other row is a negative. */
export function ntXentLoss(code: tf.Tensor2D, temperature: number): tf.Scalar {
  const rows = code.shape[0];
  // row i's partner is i xor 1: rows 2j and 2j + 1 are the views of image j
  const other = tf.tensor1d(
    Int32Array.from({ length: rows }, (_, i) => i ^ 1),
    'int32',
  );
  const positives = tf.oneHot(other, rows).cast('float32') as tf.Tensor2D;
  return maskedContrastiveLoss(code, positives, tf.onesLike(positives), temperature);
}

/**
 * Supervised contrastive loss (Khosla et al. 2020) among the labelled rows (label >= 0): same-class rows
 * are positives, and unlabelled rows are left out of the denominators (they may share the anchor's class).
 */
export function supConLoss(code: tf.Tensor2D, labels: tf.Tensor1D, temperature: number): tf.Scalar {
  const known = labels.greaterEqual(0).cast('float32');
  const allowed = tf.outerProduct(known as tf.Tensor1D, known as tf.Tensor1D) as tf.Tensor2D;
  const same = tf.equal(labels.expandDims(1), labels.expandDims(0)).cast('float32') as tf.Tensor2D;
  return maskedContrastiveLoss(code, same.mul(allowed), allowed, temperature);
}

function invarianceLoss(code: tf.Tensor2D, config: InvarianceConfig): tf.Scalar {
  return config.kind === 'vicreg' ? vicregLoss(code) : ntXentLoss(code, config.temperature);
}

/**
 * The label term's projection head: code -> width (ReLU) -> width, so the supervised contrastive loss
 * shapes the code through a head that can absorb what only fits the few labelled images (as SimCLR's
 * head does); null when the loss is on the code itself.
 */
function labelHead(config: Pick<ArchConfig, 'labelLoss' | 'codeSize' | 'seed'>): tf.Sequential | null {
  const width = config.labelLoss?.head ?? 0;
  if (width <= 0) return null;
  return tf.sequential({
    name: 'label_head',
    layers: [
      denseLayer(width, 'relu', config.seed + 600, 'label_head_0', [config.codeSize]),
      denseLayer(width, 'linear', config.seed + 601, 'label_head_1'),
    ],
  });
}

/** A model's loss terms and the extra variables they train (the label head's). */
export interface LossTerms {
  /** The full training loss: per-pixel MSE of `recon` against `target`, plus `extra` (e.g. the VAE's KL), plus the configured invariance and label terms on `code`. */
  loss(parts: LossParts): tf.Scalar;
  readonly variables: tf.Variable[];
  dispose(): void;
}

/** What an architecture's forward pass hands to its loss. */
export interface LossParts {
  readonly code: tf.Tensor2D;
  readonly recon: tf.Tensor2D;
  readonly target: tf.Tensor2D;
  readonly labels: tf.Tensor1D | null;
  readonly extra?: tf.Scalar;
}

/** Builds the loss terms `config` asks for. */
export function createLossTerms(
  config: Pick<ArchConfig, 'invariance' | 'labelLoss' | 'codeSize' | 'seed'>,
): LossTerms {
  const head = labelHead(config);
  return {
    loss: (parts) => {
      let loss = tf.losses.meanSquaredError(parts.target, parts.recon) as tf.Scalar;
      if (parts.extra) loss = loss.add(parts.extra);
      if (config.invariance && config.invariance.weight > 0)
        loss = loss.add(invarianceLoss(parts.code, config.invariance).mul(config.invariance.weight));
      const label = config.labelLoss;
      if (label && parts.labels && label.weight > 0) {
        const z = head ? (head.apply(parts.code) as tf.Tensor2D) : parts.code;
        loss = loss.add(supConLoss(z, parts.labels, label.temperature).mul(label.weight));
      }
      return loss;
    },
    variables: head ? head.trainableWeights.map((w) => w.read() as tf.Variable) : [],
    dispose: () => head?.dispose(),
  };
}
