/**
 * Micro-batching of query images through the encoder and decoder: the queries that arrive within one turn
 * of the event loop go through one `predict` each instead of one per query. Under load tfjs's per-call
 * overhead, not the arithmetic, dominated a batch of one (profiled); a batch of 16 costs about what 2 do.
 */
import * as tf from '@tensorflow/tfjs';

/** A query's code and the decoder's reconstruction of it (values in [0, 1]). */
export interface Embedded {
  readonly code: Float32Array;
  readonly reconstruction: Float32Array;
}

interface Pending {
  /** A flat image to encode and reconstruct, or a code to reconstruct only. */
  readonly input: Float32Array;
  resolve(value: Embedded): void;
  reject(err: unknown): void;
}

/** A query reached a service that was closed: a bug in whoever kept using it (leases prevent it). */
function closedError(): Error {
  return new Error('the search service was closed before this query ran');
}

/** Largest batch sent through the models at once. */
const MAX_BATCH = 64;

/** Collects images and codes and runs them through the models in batches; every tensor lives in tf.tidy. */
export class EncodeBatcher {
  private images: Pending[] = [];
  private codes: Pending[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly encoder: tf.LayersModel,
    private readonly decoder: tf.LayersModel,
  ) {}

  /** The code and reconstruction of one flat image (inputSize floats in [0, 1]). */
  embed(image: Float32Array): Promise<Embedded> {
    return this.enqueue(this.images, image);
  }

  /** The reconstruction of a stored code (returned with the code). */
  reconstruct(code: Float32Array): Promise<Embedded> {
    return this.enqueue(this.codes, code);
  }

  /** Refuses the queries still waiting and every later one: the models are about to be freed. Idempotent. */
  close(): void {
    this.closed = true;
    for (const pending of [...this.images.splice(0), ...this.codes.splice(0)]) pending.reject(closedError());
  }

  private enqueue(queue: Pending[], input: Float32Array): Promise<Embedded> {
    if (this.closed) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      queue.push({ input, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    for (const [queue, encode] of [
      [this.images, true],
      [this.codes, false],
    ] as const) {
      while (queue.length > 0) {
        const batch = queue.splice(0, MAX_BATCH);
        try {
          const results = this.run(
            batch.map((p) => p.input),
            encode,
          );
          batch.forEach((p, i) => {
            p.resolve(results[i] as Embedded);
          });
        } catch (err) {
          for (const p of batch) p.reject(err);
        }
      }
    }
  }

  private run(inputs: Float32Array[], encode: boolean): Embedded[] {
    const n = inputs.length;
    const size = inputs[0]?.length ?? 0;
    const flat = new Float32Array(n * size);
    inputs.forEach((input, i) => {
      flat.set(input, i * size);
    });
    let codes: Float32Array = new Float32Array(0);
    let recons: Float32Array = new Float32Array(0);
    // Nothing is returned from tidy: it would walk a returned typed array element by element (profiled).
    tf.tidy(() => {
      const x = tf.tensor2d(flat, [n, size]);
      const code = encode ? (this.encoder.predict(x) as tf.Tensor) : x;
      const recon = this.decoder.predict(code) as tf.Tensor;
      codes = code.dataSync() as Float32Array;
      recons = recon.dataSync() as Float32Array;
    });
    const codeSize = codes.length / n;
    const reconSize = recons.length / n;
    return inputs.map((_, i) => ({
      code: codes.slice(i * codeSize, (i + 1) * codeSize),
      reconstruction: recons.slice(i * reconSize, (i + 1) * reconSize),
    }));
  }
}
