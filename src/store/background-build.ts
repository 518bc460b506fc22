/**
 * Builds an HNSW index in a worker thread from vectors handed over in chunks, so the caller can keep
 * embedding (or serving) on the main thread meanwhile.
 */
import { rename, rm } from 'node:fs/promises';
import type { Worker } from 'node:worker_threads';
import { tempPathFor } from '../util/atomic-fs.js';
import { siblingModule, startWorker } from '../util/worker.js';
import type { HnswBuildReply, HnswBuildRequest } from './hnsw-protocol.js';
import type { HnswParams, Metric } from './vector-index.js';

/** Timing of a finished background build. */
export interface BackgroundBuildResult {
  readonly count: number;
  /** Seconds the worker spent inserting. */
  readonly buildSeconds: number;
  readonly writeSeconds: number;
}

/** An index being built in a worker thread. */
export class BackgroundBuild {
  private readonly worker: Worker;
  private failure: Error | undefined;
  private finished: ((r: BackgroundBuildResult) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;

  /** Starts the worker for `maxElements` vectors of `dims`; `onProgress` gets the count inserted so far. */
  constructor(
    dims: number,
    metric: Metric,
    params: HnswParams,
    maxElements: number,
    onProgress?: (added: number) => void,
  ) {
    this.worker = startWorker(siblingModule(import.meta.url, 'hnsw-worker'));
    this.worker.on('message', (msg: HnswBuildReply) => {
      if (msg.type === 'progress') onProgress?.(msg.added);
      else if (msg.type === 'done') this.finished?.(msg);
      else this.fail(new Error(`index build failed: ${msg.message}`));
    });
    this.worker.on('error', (err) => this.fail(err));
    this.send({ type: 'init', dims, metric, params, maxElements });
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.failed?.(err);
  }

  private send(msg: HnswBuildRequest, transfer: ArrayBuffer[] = []): void {
    if (this.failure) throw this.failure;
    this.worker.postMessage(msg, transfer);
  }

  /** Queues vectors under `ids` for insertion (copies both; the caller keeps its arrays). */
  add(ids: Int32Array, vectors: Float32Array): void {
    const copy = vectors.slice();
    const idCopy = ids.slice();
    this.send({ type: 'add', ids: idCopy.buffer, vectors: copy.buffer }, [copy.buffer, idCopy.buffer]);
  }

  /** Waits for every queued insertion, writes the index to `file` (temp file, fsync, rename), stops the worker. */
  async finish(file: string): Promise<BackgroundBuildResult> {
    const tmp = tempPathFor(file);
    try {
      const result = await new Promise<BackgroundBuildResult>((resolve, reject) => {
        this.finished = resolve;
        this.failed = reject;
        if (this.failure) reject(this.failure);
        else this.send({ type: 'save', file: tmp });
      });
      await rename(tmp, file);
      return result;
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    } finally {
      await this.worker.terminate();
    }
  }

  /** Stops the worker without writing anything. */
  async cancel(): Promise<void> {
    await this.worker.terminate();
  }
}
