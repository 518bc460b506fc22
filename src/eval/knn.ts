/**
 * Exact k-nearest-neighbour search (the ground truth the eval compares against), L2 or cosine.
 *
 * Blocks of queries are scored against the whole database with one tfjs matMul each, using
 * ||q - x||² = ||q||² + ||x||² - 2 q·x (||q||² is constant per row, so rows rank by ||x||² - 2 q·x).
 * The norms ride in the product: queries [-2q, 1] times the database [xᵀ; ||x||²] gives the scores.
 * Each row keeps its k + RERANK_EXTRA best candidates with a bounded heap, which are then re-scored
 * exactly in float64, so float32 round-off in the product cannot reorder the final k. Cosine search
 * normalises both sides and reports 1 - cos = ||q - x||² / 2.
 */
import * as tf from '@tensorflow/tfjs';
import type { Metric } from '../store/vector-index.js';
import { selectSmallest, sortSelection } from './topk.js';
import {
  metricDistance,
  normaliseRows,
  rowsOf,
  squaredDistance,
  squaredNorm,
  squaredNorms,
  type VectorSet,
} from './vectors.js';

/** Candidates kept per row beyond k for the exact float64 re-scoring. */
const RERANK_EXTRA = 16;

/** Product entries (queries x database) per block: 16 M floats, 64 MB; 256 x 60k measured fastest on wasm. */
const BLOCK_ENTRIES = 16 * 1024 * 1024;

/** The k nearest database rows of every query, nearest first (ties to the lower id). */
export interface KnnResult {
  /** Neighbours per query (k clamped to the database size). */
  readonly k: number;
  /** Number of queries. */
  readonly count: number;
  /** count x k database ids. */
  readonly ids: Int32Array;
  /** count x k distances: true L2, or 1 - cosine similarity. */
  readonly distances: Float32Array;
}

/** Progress callback: queries done so far. */
export type KnnProgress = (done: number) => void;

/** Receives query `row`'s scores against the whole database, at `scores[offset ..]` (see `scoreRows`). */
export type ScoreVisitor = (row: number, scores: Float32Array, offset: number, queries: VectorSet) => void;

/** A database held as a transposed tensor for block products; dispose it when done. */
export class KnnEngine {
  private constructor(
    readonly database: VectorSet,
    readonly metric: Metric,
    private readonly augmented: tf.Tensor2D,
    private readonly maxNormSq: number,
  ) {}

  /** Uploads `database` (normalised first for cosine). */
  static create(database: VectorSet, metric: Metric): KnnEngine {
    const db = metric === 'cosine' ? normaliseRows(database) : database;
    const norms = squaredNorms(db);
    // [dims + 1, count]: transposed so every product is XNNPACK's plain (untransposed) path.
    const augmented = tf.tidy(() =>
      tf.concat2d(
        [
          tf.tensor2d(db.data, [db.count, db.dims]).transpose<tf.Tensor2D>(),
          tf.tensor2d(norms, [1, db.count]),
        ],
        0,
      ),
    );
    return new KnnEngine(
      db,
      metric,
      augmented,
      norms.reduce((a, b) => Math.max(a, b), 0),
    );
  }

  /** Query rows per product block for this database. */
  get blockRows(): number {
    return Math.max(16, Math.min(512, Math.floor(BLOCK_ENTRIES / Math.max(1, this.database.count))));
  }

  /** The k nearest neighbours of every query. */
  async search(queries: VectorSet, k: number, onProgress?: KnnProgress): Promise<KnnResult> {
    const kk = Math.min(k, this.database.count);
    const ids = new Int32Array(queries.count * kk);
    const distances = new Float32Array(queries.count * kk);
    await this.scoreRows(
      queries,
      (row, scores, offset, q) => this.finishRow(scores, offset, q, row, kk, ids, distances),
      onProgress,
    );
    return { k: kk, count: queries.count, ids, distances };
  }

  /**
   * Scores every query against every database row, a block of queries at a time (memory stays at one
   * block's product), and calls `visit` per query with its row of scores ||x||² - 2 q·x, at
   * `scores[offset .. offset + database count)`: they rank the database as the metric's distance does.
   * `q` is the queries as scored (unit rows for cosine). Throws RangeError on a dims mismatch.
   */
  async scoreRows(queries: VectorSet, visit: ScoreVisitor, onProgress?: KnnProgress): Promise<void> {
    if (queries.dims !== this.database.dims)
      throw new RangeError(`Expected ${this.database.dims}-d queries but got ${queries.dims}-d`);
    const q = this.metric === 'cosine' ? normaliseRows(queries) : queries;
    const n = this.database.count;
    for (let start = 0; start < q.count; start += this.blockRows) {
      const end = Math.min(q.count, start + this.blockRows);
      const scores = await this.blockScores(rowsOf(q, start, end));
      for (let r = start; r < end; r++) visit(r, scores, (r - start) * n, q);
      onProgress?.(end);
    }
  }

  /** (end - start) x count scores ||x||² - 2 q·x, row-major. */
  private async blockScores(block: VectorSet): Promise<Float32Array> {
    const d = block.dims;
    const rows = new Float32Array(block.count * (d + 1));
    for (let r = 0; r < block.count; r++) {
      for (let j = 0; j < d; j++) rows[r * (d + 1) + j] = -2 * (block.data[r * d + j] ?? 0);
      rows[r * (d + 1) + d] = 1;
    }
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(rows, [block.count, d + 1]), this.augmented));
    const scores = (await product.data()) as Float32Array;
    product.dispose();
    return scores;
  }

  /**
   * Picks row `row`'s k nearest from its scores at `offset`: the k + RERANK_EXTRA best approximate
   * scores, re-scored exactly. When the worst of those could still tie with the exact k-th (near-ties,
   * within the float32 error bound of the product), every row under that bound is re-scored too, so the
   * result is exact.
   */
  private finishRow(
    scores: Float32Array,
    offset: number,
    queries: VectorSet,
    row: number,
    k: number,
    ids: Int32Array,
    distances: Float32Array,
  ): void {
    const n = this.database.count;
    if (k === 0) return;
    const candidates = selectSmallest(scores, k + RERANK_EXTRA, offset, n);
    let best = this.rescore(queries, row, candidates.ids);
    const worst = candidates.values[candidates.values.length - 1] ?? Number.POSITIVE_INFINITY;
    const queryNormSq = squaredNorm(queries, row);
    const bound = (best.values[k - 1] ?? 0) - queryNormSq + this.scoreError(Math.sqrt(queryNormSq));
    if (candidates.ids.length < n && worst <= bound) {
      const wide: number[] = [];
      for (let j = 0; j < n; j++) if ((scores[offset + j] ?? 0) <= bound) wide.push(j);
      best = this.rescore(queries, row, Int32Array.from(wide));
    }
    for (let i = 0; i < k; i++) {
      ids[row * k + i] = best.ids[i] ?? -1;
      distances[row * k + i] = metricDistance(best.values[i] ?? 0, this.metric);
    }
  }

  /** Exact float64 squared distances of query `row` to database rows `candidates`, sorted. */
  private rescore(queries: VectorSet, row: number, candidates: Int32Array) {
    const exact = Float64Array.from(candidates, (id) => squaredDistance(queries, row, this.database, id));
    return sortSelection(exact, candidates);
  }

  /**
   * An upper bound on |approximate - exact| score for a query of norm `queryNorm`: a float32 sum of
   * d + 1 products errs by at most (d + 1)·u·Σ|terms| ≤ (d + 1)·u·(2|q||x| + ||x||²) (u = 2^-24), plus
   * u·||x||² for the stored norm; doubled for safety.
   */
  private scoreError(queryNorm: number): number {
    const u = 2 ** -24;
    const terms = 2 * queryNorm * Math.sqrt(this.maxNormSq) + this.maxNormSq;
    return 2 * u * ((this.database.dims + 2) * terms) + 1e-30;
  }

  /** Frees the database tensor. */
  dispose(): void {
    this.augmented.dispose();
  }
}

/** Exact kNN of `queries` in `database` on this thread; frees its tensors before returning. */
export async function exactKnn(
  database: VectorSet,
  queries: VectorSet,
  k: number,
  metric: Metric,
  onProgress?: KnnProgress,
): Promise<KnnResult> {
  const engine = KnnEngine.create(database, metric);
  try {
    return await engine.search(queries, k, onProgress);
  } finally {
    engine.dispose();
  }
}
