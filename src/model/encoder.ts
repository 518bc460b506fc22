/** Runs a trained encoder (and decoder) over batches of images, inside tf.tidy: no tensor outlives a call. */
import * as tf from '@tensorflow/tfjs';

/** Images per forward pass when embedding a dataset; large batches amortise per-op overhead. */
export const EMBED_BATCH = 1024;

/**
 * Embeds `count` flat images (count x inputSize floats in [0, 1]) into codes (count x codeSize).
 * `onBatch` is called after each batch with the index of its first image and its codes (a view into the
 * result), so a caller can stream codes elsewhere while the next batch runs.
 */
export async function embedImages(
  encoder: tf.LayersModel,
  images: Float32Array,
  count: number,
  onBatch?: (start: number, codes: Float32Array) => void,
  batchSize = EMBED_BATCH,
): Promise<Float32Array> {
  const inputSize = images.length / Math.max(count, 1);
  const codeSize = codeSizeOf(encoder);
  const codes = new Float32Array(count * codeSize);
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const out = tf.tidy(() => {
      const x = tf.tensor2d(images.subarray(start * inputSize, (start + n) * inputSize), [n, inputSize]);
      return encoder.predict(x) as tf.Tensor;
    });
    codes.set(await out.data(), start * codeSize);
    out.dispose();
    onBatch?.(start, codes.subarray(start * codeSize, (start + n) * codeSize));
  }
  return codes;
}

/**
 * The decoder's reconstructions of `count` codes (count x codeSize floats): count x inputSize floats,
 * pixels in [0, 1] (not clamped).
 */
export async function reconstructCodes(
  decoder: tf.LayersModel,
  codes: Float32Array,
  count: number,
  batchSize = EMBED_BATCH,
): Promise<Float32Array> {
  const codeSize = codes.length / Math.max(count, 1);
  const chunks: Float32Array[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    const out = tf.tidy(() => {
      const code = tf.tensor2d(codes.subarray(start * codeSize, (start + n) * codeSize), [n, codeSize]);
      return (decoder.predict(code) as tf.Tensor).reshape([n, -1]);
    });
    chunks.push((await out.data()) as Float32Array);
    out.dispose();
  }
  const inputSize = count === 0 ? 0 : (chunks[0]?.length ?? 0) / Math.min(batchSize, count);
  const out = new Float32Array(count * inputSize);
  chunks.forEach((chunk, i) => {
    out.set(chunk, i * batchSize * inputSize);
  });
  return out;
}

/** Runs `model` on n rows of `input` and copies its output out; the tensors die inside tf.tidy. */
function predictRows(model: tf.LayersModel, input: Float32Array, n: number): Float32Array {
  // Return the tensor from tidy, not its data: tidy walks a returned typed array element by element.
  const out = tf.tidy(() => model.predict(tf.tensor2d(input, [n, input.length / n])) as tf.Tensor);
  try {
    return out.dataSync() as Float32Array;
  } finally {
    out.dispose();
  }
}

/** Embeds one image synchronously (the search benchmark's one-query-at-a-time path). */
export function embedOne(encoder: tf.LayersModel, image: Float32Array): Float32Array {
  return predictRows(encoder, image, 1);
}

/** The code size an encoder produces. */
export function codeSizeOf(encoder: tf.LayersModel): number {
  const shape = encoder.outputs[0]?.shape;
  return shape?.[shape.length - 1] ?? 0;
}
