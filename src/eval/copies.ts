/**
 * The copy-detection test of `aesearch eval --copies`: edited copies of a seeded sample of database
 * items are sent through the upload preprocessing, embedded, and searched for exactly over the database
 * codes and the database pixels; the figure is how often the original comes back first (recall@1) and
 * in the first ten (recall@10), per edit, per space. It needs no labels.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import { encodePng } from '../image/png.js';
import { decodeImage } from '../image/preprocess.js';
import type { LoadedModel } from '../model/store.js';
import type { Metric } from '../store/vector-index.js';
import { mapWithConcurrency } from '../util/pool.js';
import { createRng, shuffleInPlace } from '../util/rng.js';
import { embedVectors, openCodeDatabase, warmUpEncoder } from './code-space.js';
import { COPY_EDIT_PROTOCOL, COPY_EDITS, type CopyEdit, EDITS } from './copies-edits.js';
import { exactKnn, type KnnResult } from './knn.js';
import type { StageReporter } from './space-eval.js';
import { pixelVectors, type VectorSet, vectorSet } from './vectors.js';

/** Items tested by default (all of the database when it holds fewer). */
export const DEFAULT_COPY_ITEMS = 500;
/** Seed of the item sample and of every edit's random amounts. */
export const COPIES_SEED = 15;
/** Images edited and decoded at once; sharp works on libuv's pool, so this keeps both cores busy. */
const CONCURRENCY = 8;

/** recall@1 and recall@10 of the originals in one space. */
export interface CopyRecall {
  readonly recall1: number;
  readonly recall10: number;
}

/** The copy test's figures: what `--json` prints under `copies`. */
export interface CopiesReport {
  /** Database items copied (a seeded sample). */
  readonly items: number;
  readonly database: number;
  readonly seed: number;
  readonly metric: Metric;
  /** What was edited: the original files (folders) or the items' pixels as PNG (IDX data). */
  readonly originals: 'files' | 'pixels';
  readonly edits: Readonly<Record<CopyEdit, { readonly code: CopyRecall; readonly pixel: CopyRecall }>>;
  /** What each edit does, in words. */
  readonly protocol: Readonly<Record<CopyEdit, string>>;
  readonly timings: {
    /** Editing the copies and decoding them as uploads. */
    readonly editSeconds: number;
    /** Loading or embedding the database codes. */
    readonly databaseSeconds: number;
    /** Embedding the copies and searching both spaces. */
    readonly searchSeconds: number;
  };
  readonly seconds: number;
}

/** What to test and how. */
export interface CopiesOptions {
  readonly indexDir: string;
  readonly dataset: Dataset;
  readonly model: LoadedModel;
  readonly metric: Metric;
  /** Items to copy (default DEFAULT_COPY_ITEMS, all when the database holds fewer). */
  readonly items?: number;
  readonly seed?: number;
  readonly stage?: StageReporter;
  readonly note?: (message: string) => void;
}

/**
 * The preprocessing an upload goes through, in the one place this test calls it: bytes to the model's
 * input pixels. Throws the decode errors of preprocess.ts.
 */
function preprocessUpload(bytes: Uint8Array, dataset: Dataset, what: string): Promise<Uint8Array> {
  return decodeImage(bytes, dataset.format, { what });
}

/** `count` distinct database ids, a seeded sample, in sample order. */
export function sampleItems(databaseCount: number, count: number, seed: number): Int32Array {
  const ids = Int32Array.from({ length: databaseCount }, (_, i) => i);
  return shuffleInPlace(ids, createRng(seed)).slice(0, Math.min(count, databaseCount)) as Int32Array;
}

/**
 * recall@1 and recall@k (k = the result's depth, at most 10) of `originals[q]` among query q's
 * neighbours. Pure.
 */
export function recallOfOriginals(result: KnnResult, originals: Int32Array): CopyRecall {
  let first = 0;
  let within = 0;
  const depth = Math.min(10, result.k);
  for (let q = 0; q < result.count; q++) {
    const row = result.ids.subarray(q * result.k, q * result.k + depth);
    if (row[0] === originals[q]) first++;
    if (row.includes(originals[q] ?? -1)) within++;
  }
  const n = Math.max(1, result.count);
  return { recall1: first / n, recall10: within / n };
}

/** The bytes to edit for database item `id`: its file for folders, its pixels as a PNG otherwise. */
async function originalBytes(dataset: Dataset, id: number): Promise<Uint8Array> {
  const source = dataset.database.sources?.[id];
  if (dataset.kind === 'folder' && source !== undefined) {
    const file = join(dataset.name, source);
    return readFile(file).catch(() => {
      throw createError('FILE_NOT_FOUND', { file });
    });
  }
  const { side, channels } = dataset.format;
  const area = side * side * channels;
  return encodePng(dataset.database.pixels.subarray(id * area, (id + 1) * area), side, side, channels);
}

/** A seed for (edit, item): every edit of every item draws its own amounts. */
function editSeed(seed: number, edit: number, id: number): number {
  return (
    (Math.imul(seed, 0x9e3779b1) ^ Math.imul(edit + 1, 0x85ebca6b) ^ Math.imul(id + 1, 0xc2b2ae35)) >>> 0
  );
}

/** Floats per model input: what one database item holds, grey or colour. */
function inputSize(dataset: Dataset): number {
  return dataset.database.pixels.length / Math.max(1, dataset.database.count);
}

/**
 * Every edit of every item, decoded as an upload: per edit, items x input floats in [0, 1]. Items run
 * a few at a time, each read once, so only those few originals (whole photos, maybe) sit in memory.
 */
async function editedCopies(
  dataset: Dataset,
  ids: Int32Array,
  seed: number,
  stage: StageReporter,
): Promise<Map<CopyEdit, VectorSet>> {
  const size = inputSize(dataset);
  const data = new Map(COPY_EDITS.map((edit) => [edit, new Float32Array(ids.length * size)]));
  const progress = stage('editing copies', ids.length);
  let done = 0;
  await mapWithConcurrency([...ids], CONCURRENCY, async (id, i) => {
    const original = await originalBytes(dataset, id);
    for (const [e, edit] of COPY_EDITS.entries()) {
      const edited = await EDITS[edit](original, createRng(editSeed(seed, e, id)));
      const px = await preprocessUpload(edited, dataset, `item ${id} (${edit})`);
      const out = data.get(edit);
      for (let j = 0; j < size; j++) if (out) out[i * size + j] = (px[j] ?? 0) / 255;
    }
    progress(++done);
  });
  return new Map(COPY_EDITS.map((edit) => [edit, vectorSet(data.get(edit) ?? new Float32Array(size), size)]));
}

/**
 * Runs the copy test. Throws BAD_OPTION for fewer than one item, FILE_NOT_FOUND when an original file
 * has gone, the decode errors when one will not decode, or the index/model errors.
 */
export async function runCopies(options: CopiesOptions): Promise<CopiesReport> {
  const started = performance.now();
  const { dataset, model, metric } = options;
  const stage: StageReporter = options.stage ?? (() => () => {});
  const seed = options.seed ?? COPIES_SEED;
  const wanted = options.items ?? DEFAULT_COPY_ITEMS;
  if (!Number.isInteger(wanted) || wanted < 1)
    throw createError('BAD_OPTION', {
      name: '--copies-items',
      expected: 'a whole number of at least 1',
      got: wanted,
    });
  const ids = sampleItems(dataset.database.count, wanted, seed);
  const copies = await editedCopies(dataset, ids, seed, stage);
  const edited = performance.now();
  const db = await openCodeDatabase(options.indexDir, model, dataset, metric, stage);
  db.index.dispose();
  if (db.note) options.note?.(db.note);
  await warmUpEncoder(model, inputSize(dataset));
  const opened = performance.now();
  const pixels = pixelVectors(dataset.database);
  const edits = {} as Record<CopyEdit, { code: CopyRecall; pixel: CopyRecall }>;
  const progress = stage('searching copies', COPY_EDITS.length);
  for (const [e, edit] of COPY_EDITS.entries()) {
    const queries = copies.get(edit) ?? vectorSet(new Float32Array(0), inputSize(dataset));
    const codes = await embedVectors(model, queries);
    edits[edit] = {
      code: recallOfOriginals(await exactKnn(db.codes, codes, 10, metric), ids),
      pixel: recallOfOriginals(await exactKnn(pixels, queries, 10, metric), ids),
    };
    progress(e + 1);
  }
  const ended = performance.now();
  return {
    items: ids.length,
    database: dataset.database.count,
    seed,
    metric,
    originals: dataset.kind === 'folder' && dataset.database.sources ? 'files' : 'pixels',
    edits,
    protocol: COPY_EDIT_PROTOCOL,
    timings: {
      editSeconds: (edited - started) / 1000,
      databaseSeconds: (opened - edited) / 1000,
      searchSeconds: (ended - opened) / 1000,
    },
    seconds: (ended - started) / 1000,
  };
}

/** The copy figures as an aligned text table: one row per edit, recall@1 and @10 per space. */
export function formatCopiesTable(report: CopiesReport): string {
  const cell = (v: number) => v.toFixed(3).padStart(10);
  const head = ['edit'.padEnd(10), 'code r@1', 'code r@10', 'pixel r@1', 'pixel r@10']
    .map((h, i) => (i === 0 ? h : h.padStart(10)))
    .join(' ');
  const rows = COPY_EDITS.map((edit) => {
    const { code, pixel } = report.edits[edit];
    return [
      edit.padEnd(10),
      cell(code.recall1),
      cell(code.recall10),
      cell(pixel.recall1),
      cell(pixel.recall10),
    ].join(' ');
  });
  const t = report.timings;
  return `${[
    `copies: ${report.items} of ${report.database} database items (seed ${report.seed}), originals from ${report.originals === 'files' ? 'their files' : 'their pixels as PNG'}; exact ${report.metric} kNN; recall = the original found first / in the first 10`,
    head,
    ...rows,
    `took ${report.seconds.toFixed(1)} s (editing and decoding ${t.editSeconds.toFixed(1)} s, database codes ${t.databaseSeconds.toFixed(1)} s, embedding and search ${t.searchSeconds.toFixed(1)} s)`,
  ].join('\n')}\n`;
}
