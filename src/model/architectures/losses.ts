/**
 * The training loss every architecture shares: per-pixel reconstruction MSE, plus the few-label
 * supervised contrastive term. Call inside tf.tidy or an optimiser's minimize.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchConfig } from './types.js';

// Added to logits that must not count in a softmax; exp() of it is 0 in float32.
const MASKED_LOGIT = -1e9;

/** Softmax temperature of the label term (the value every run in docs/models.md used). */
export const LABEL_TEMPERATURE = 0.2;

/**
 * Supervised contrastive loss (Khosla et al. 2020) among the labelled rows (label >= 0) on L2-normalised
 * codes: for each anchor with at least one same-class row, minus the mean log-softmax of those rows over
 * every other labelled row. Unlabelled rows are left out of the denominators (they may share the
 * anchor's class).
 */
export function supConLoss(code: tf.Tensor2D, labels: tf.Tensor1D, temperature: number): tf.Scalar {
  const rows = code.shape[0];
  const known = labels.greaterEqual(0).cast('float32') as tf.Tensor1D;
  const allowed = tf.outerProduct(known, known);
  const same = tf.equal(labels.expandDims(1), labels.expandDims(0)).cast('float32');
  const z = tf.div(code, tf.norm(code, 'euclidean', 1, true).add(1e-8));
  const keep = allowed.mul(tf.scalar(1).sub(tf.eye(rows)));
  const logits = tf.matMul(z, z, false, true).div(temperature).add(tf.scalar(1).sub(keep).mul(MASKED_LOGIT));
  const logProb = logits.sub(tf.logSumExp(logits, 1, true));
  const pos = same.mul(allowed).mul(keep);
  const count = pos.sum(1);
  const perAnchor = pos.mul(logProb).sum(1).div(count.maximum(1));
  const anchors = count.greater(0).cast('float32');
  return perAnchor.mul(anchors).sum().neg().div(anchors.sum().maximum(1)) as tf.Scalar;
}

/** What an architecture's forward pass hands to its loss. */
export interface LossParts {
  readonly code: tf.Tensor2D;
  readonly recon: tf.Tensor2D;
  readonly target: tf.Tensor2D;
  readonly labels: tf.Tensor1D | null;
  readonly extra?: tf.Scalar;
}

/**
 * The full training loss: per-pixel MSE of `recon` against `target` (already in the training frame:
 * Autoencoder.loss), plus `extra` (e.g. the VAE's KL), plus the label term on `code` when `config` asks
 * for it and the batch has labels.
 */
export function trainingLoss(config: Pick<ArchConfig, 'labelLoss'>, parts: LossParts): tf.Scalar {
  let loss = tf.losses.meanSquaredError(parts.target, parts.recon) as tf.Scalar;
  if (parts.extra) loss = loss.add(parts.extra);
  const label = config.labelLoss;
  if (label && parts.labels && label.weight > 0)
    loss = loss.add(supConLoss(parts.code, parts.labels, LABEL_TEMPERATURE).mul(label.weight));
  return loss;
}
