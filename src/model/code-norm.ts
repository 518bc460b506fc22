/**
 * Search normalisation fixed after training (`codeNorm` `cosine` or `whiten`). The saved encoder maps
 * each code c to unit length after an affine map: cosine uses (c - mean); whiten uses (c - mean) S^-p,
 * with S the code covariance shrunk towards a multiple of the identity and p the whitening power (1/2
 * whitens fully; a smaller power evens out the spread partly). L2 search over the saved codes
 * then ranks as (whitened) cosine search. The saved decoder first maps a unit code back through the
 * mean norm and the inverse map. Measured on conv codes in docs/models.md ("What we tried").
 */
import * as tf from '@tensorflow/tfjs';
import { gatherBatch } from '../dataset/float-images.js';
import type { ImageSet } from '../dataset/types.js';
import { columnMeans, covariance, scatterMatrix, trace } from '../math/covariance.js';
import { jacobiEigen, matrixFunction } from '../math/eigen.js';
import { type CodeNorm, WHITEN_POWER } from './architectures/index.js';
import { L2Normalize } from './architectures/l2-normalize.js';
import { applyAll } from './architectures/layers.js';
import { embedImages } from './encoder.js';

/** Images used to estimate the mean and covariance: plenty for 64 dims, and fast. */
const SAMPLE_IMAGES = 10_000;

/** Weight of the identity in the shrunk covariance: measured best among 0.03-0.35 (docs/models.md). */
const WHITEN_SHRINK = 0.1;

/** Weight of the within-class covariance of the labelled codes in `whiten` with labels (measured, docs/models.md). */
const WITHIN_CLASS_MIX = 0.9;

/** Pooled within-class covariance of `codes` (n x dims) with `labels` (one per row): Σ scatter / n. */
export async function withinClassCovariance(
  codes: Float32Array,
  labels: ArrayLike<number>,
): Promise<Float64Array> {
  const n = labels.length;
  const dims = codes.length / n;
  const out = new Float64Array(dims * dims);
  for (const label of new Set(Array.from(labels))) {
    const rows = Array.from({ length: n }, (_, r) => r).filter((r) => labels[r] === label);
    const own = {
      data: Float32Array.from(rows.flatMap((r) => Array.from(codes.subarray(r * dims, (r + 1) * dims)))),
      count: rows.length,
      dims,
    };
    const scatter = await scatterMatrix(own, columnMeans(own));
    for (let i = 0; i < out.length; i++) out[i] = (out[i] ?? 0) + (scatter[i] ?? 0) / n;
  }
  return out;
}

/** The affine map before unit length, as row-major d x d kernels (y = (c - mean) kernel). */
export interface CodeTransform {
  readonly mean: Float64Array;
  readonly kernel: Float64Array;
  readonly inverse: Float64Array;
  /** Mean norm of the mapped sample codes (what a unit code is scaled back to before decoding). */
  readonly norm: number;
}

function meanMappedNorm(codes: Float32Array, n: number, mean: Float64Array, kernel: Float64Array): number {
  const dims = mean.length;
  let total = 0;
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let j = 0; j < dims; j++) {
      let y = 0;
      for (let i = 0; i < dims; i++)
        y += ((codes[r * dims + i] ?? 0) - (mean[i] ?? 0)) * (kernel[i * dims + j] ?? 0);
      s += y * y;
    }
    total += Math.sqrt(s);
  }
  return total / n;
}

/** How `whiten` whitens: identity shrink, power of the eigenvalues, within-class covariance (labels). */
export interface WhitenOptions {
  readonly shrink?: number;
  readonly power?: number;
  readonly within?: Float64Array | null;
}

/** The transform for `mode` estimated from `codes` (n x dims); `whiten` only reads `options`. */
export async function codeTransform(
  codes: Float32Array,
  n: number,
  mode: 'cosine' | 'whiten',
  options: WhitenOptions = {},
): Promise<CodeTransform> {
  const { shrink = WHITEN_SHRINK, power = WHITEN_POWER, within = null } = options;
  const rows = { data: codes, count: n, dims: codes.length / n };
  const dims = rows.dims;
  const mean = columnMeans(rows);
  let kernel: Float64Array = new Float64Array(dims * dims);
  let inverse: Float64Array = new Float64Array(dims * dims);
  if (mode === 'cosine') {
    for (let i = 0; i < dims; i++) kernel[i * dims + i] = inverse[i * dims + i] = 1;
  } else {
    const total = await covariance(rows, mean, { population: true });
    // with labels, whiten mostly the spread inside classes (WCCN), which search should ignore
    const cov = within
      ? total.map((v, i) => (1 - WITHIN_CLASS_MIX) * v + WITHIN_CLASS_MIX * (within[i] ?? 0))
      : total;
    const spread = trace(cov, dims);
    const shrunk = cov.map(
      (v, i) => (1 - shrink) * v + (i % (dims + 1) === 0 ? (shrink * spread) / dims : 0),
    );
    const eigen = jacobiEigen(shrunk, dims);
    const floor = Math.max(1e-12, (1e-9 * spread) / dims);
    kernel = matrixFunction(eigen, (v) => Math.max(v, floor) ** -power);
    inverse = matrixFunction(eigen, (v) => Math.max(v, floor) ** power);
  }
  return { mean, kernel, inverse, norm: meanMappedNorm(codes, n, mean, kernel) };
}

/** A frozen dense layer computing x kernel + bias, built on `input`. */
function affine(input: tf.SymbolicTensor, kernel: Float64Array, bias: Float64Array, name: string) {
  const dims = bias.length;
  const layer = tf.layers.dense({ units: dims, trainable: false, name });
  const output = layer.apply(input) as tf.SymbolicTensor;
  // setWeights copies into the layer's variables; tidy frees the sources
  tf.tidy(() =>
    layer.setWeights([
      tf.tensor2d(Float32Array.from(kernel), [dims, dims]),
      tf.tensor1d(Float32Array.from(bias)),
    ]),
  );
  return { layer, output };
}

function timesKernel(v: Float64Array, kernel: Float64Array): Float64Array {
  const dims = v.length;
  return Float64Array.from({ length: dims }, (_, j) =>
    v.reduce((s, x, i) => s + x * (kernel[i * dims + j] ?? 0), 0),
  );
}

/** The wrapped models; `dispose` frees what the wrapping added (not the shared trained layers). */
export interface NormalisedModels {
  readonly encoder: tf.LayersModel;
  readonly decoder: tf.LayersModel;
  readonly transform: CodeTransform;
  dispose(): void;
}

/**
 * Wraps a trained encoder and decoder with the search normalisation `mode`, estimated on the first
 * images of `set` (the database split). `whiten` reads `options`: `labelled`, database indices whose
 * labels it may use, and `power`, of the eigenvalues. The returned models share the originals' layers.
 */
export async function withSearchNorm(
  encoder: tf.LayersModel,
  decoder: tf.LayersModel,
  set: ImageSet,
  mode: Extract<CodeNorm, 'cosine' | 'whiten'>,
  options: { readonly labelled?: Int32Array | null; readonly power?: number } = {},
): Promise<NormalisedModels> {
  const { labelled = null, power = WHITEN_POWER } = options;
  const area = set.pixels.length / Math.max(set.count, 1);
  const embed = (indices: ArrayLike<number>) =>
    embedImages(encoder, gatherBatch(set, indices, area), indices.length);
  const n = Math.min(SAMPLE_IMAGES, set.count);
  const codes = await embed(Array.from({ length: n }, (_, i) => i));
  const labels = set.labels;
  const within =
    mode === 'whiten' && labelled && labels && labelled.length > 0
      ? await withinClassCovariance(
          await embed(labelled),
          Array.from(labelled, (i) => labels[i] ?? 0),
        )
      : null;
  const t = await codeTransform(codes, n, mode, { power, within });
  const dims = t.mean.length;
  const centre = affine(
    encoder.outputs[0] as tf.SymbolicTensor,
    t.kernel,
    timesKernel(t.mean, t.kernel).map((v) => -v),
    'code_map',
  );
  const unit = new L2Normalize({ name: 'code_unit' });
  const normalised = tf.model({
    inputs: encoder.inputs,
    outputs: unit.apply(centre.output) as tf.SymbolicTensor,
    name: 'encoder',
  });
  const codeIn = tf.input({ shape: [dims], name: 'unit_code' });
  const back = affine(
    codeIn,
    t.inverse.map((v) => v * t.norm),
    t.mean,
    'code_unmap',
  );
  // our decoders are chains: re-applying their layers shares them without nesting the model
  const rebuilt = tf.model({
    inputs: codeIn,
    outputs: applyAll(decoder.layers.slice(1), back.output),
    name: 'decoder',
  });
  return {
    encoder: normalised,
    decoder: rebuilt,
    transform: t,
    // tfjs counts a layer once per model built on a new application of it: the decoder wrapper's
    // dispose frees what it added and gives the decoder's layers back; the encoder wrapper extends
    // the encoder's own graph, so only its two new layers are freed
    dispose: () => {
      centre.layer.dispose();
      unit.dispose();
      rebuilt.dispose();
    },
  };
}
