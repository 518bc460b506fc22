/**
 * Seeding a collection: `aesearch index --data X` keeps the catalogue the index names when it holds the
 * collection X (with every item added or removed since), and otherwise seeds a new catalogue file from X:
 * a named IDX dataset's database split (the 28x28 image is its own original), or every image under a
 * folder (each with its thumbnail). A new catalogue gets a new file name, recorded by the index manifest
 * when the build succeeds, so a failed build leaves the catalogue in use untouched.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { folderClasses } from '../dataset/folder-dataset.js';
import { loadIdxDataset, NAMED_DATASETS } from '../dataset/idx-dataset.js';
import { datasetFormat } from '../dataset/load.js';
import { fingerprint } from '../dataset/split.js';
import type { Dataset } from '../dataset/types.js';
import { createError } from '../errors.js';
import { addImages, type ChangeReport } from './add-images.js';
import { Catalogue, type CollectionMeta, type NewItem } from './catalogue.js';
import { sha256Hex } from './ingest.js';
import { scanFolder } from './scan.js';

/** `thumbType` of items whose original is their model input (the IDX datasets). */
export const THUMB_IS_INPUT = 'input';

/** Items inserted per transaction while seeding a dataset. */
const SEED_BATCH = 5000;

/** Where a collection is seeded from, and how its images become model input. */
export interface SeedSource {
  /** A name in NAMED_DATASETS or a folder path. */
  readonly data: string;
  /** Folders holding the named datasets. */
  readonly searchPath: readonly string[];
  /** Seed the first N images only. */
  readonly limit?: number;
  /** A folder's model input side (default DEFAULT_FOLDER_SIDE) and whether to drop colour. */
  readonly imageSize?: number | undefined;
  readonly gray?: boolean | undefined;
}

/** Events of a seeding. */
export interface SeedEvents {
  readonly onProgress?: (done: number, total: number) => void;
  /** A folder file that could not be added (it is skipped). */
  readonly onSkip?: (source: string, reason: string) => void;
}

/** The identity and input format of the collection seeded from the folder `source.data`. */
function folderMeta(source: SeedSource): CollectionMeta {
  const root = resolve(source.data);
  return { name: root, kind: 'folder', origin: root, ...datasetFormat(source) };
}

/** True when `meta` describes the same collection as `wanted` (name and input format). */
function sameCollection(meta: CollectionMeta, wanted: CollectionMeta): boolean {
  return (
    meta.name === wanted.name &&
    meta.side === wanted.side &&
    meta.channels === wanted.channels &&
    meta.invertLightBorder === wanted.invertLightBorder
  );
}

/** Inserts a dataset's database images with ids 0..n-1 (their positions), in large transactions. */
export function seedDataset(catalogue: Catalogue, dataset: Dataset, events: SeedEvents = {}): void {
  const { count, pixels, labels } = dataset.database;
  const area = pixels.length / Math.max(count, 1);
  const empty = new Uint8Array(0);
  if (dataset.classNames) catalogue.defineLabels(dataset.classNames);
  for (let start = 0; start < count; start += SEED_BATCH) {
    const batch: NewItem[] = [];
    for (let id = start; id < Math.min(count, start + SEED_BATCH); id++) {
      const input = pixels.subarray(id * area, (id + 1) * area);
      const label = labels?.[id];
      batch.push({
        id,
        source: `${dataset.name}/${id}`,
        root: null,
        labelName: label === undefined ? null : (dataset.classNames?.[label] ?? String(label)),
        bytes: input.byteLength,
        sha256: sha256Hex(input),
        mtimeMs: null,
        input,
        thumb: empty,
        thumbType: THUMB_IS_INPUT,
      });
    }
    catalogue.add(batch, undefined, { unique: false });
    events.onProgress?.(Math.min(count, start + SEED_BATCH), count);
  }
}

/** Adds every image under the folder `meta.name`; throws EMPTY_DATASET when none could be added. */
async function seedFolder(
  catalogue: Catalogue,
  meta: CollectionMeta,
  limit: number | undefined,
  events: SeedEvents,
): Promise<ChangeReport> {
  const files = (await scanFolder(meta.name)).slice(0, limit);
  const report = await addImages(
    catalogue,
    meta,
    files.map((f) => ({
      path: f.path,
      source: f.source,
      root: f.root,
      labelName: f.label,
      mtimeMs: f.mtimeMs,
    })),
    // Ids from 0 in file order, as a dataset's (a file that cannot be read leaves its id unused).
    { onProgress: events.onProgress, ids: files.map((_, i) => i) },
  );
  for (const r of report.rejected) events.onSkip?.(r.source, r.error.message);
  if (report.added.length === 0) throw createError('EMPTY_DATASET', { where: meta.name });
  return report;
}

/**
 * The fingerprint `loadFolderDataset` gives the folder a catalogue was just seeded from, computed from the
 * catalogue's own inputs and labels, so eval can use the index's codes for that folder; null when a file
 * could not be read (the dataset would then number its images differently).
 */
function seededFolderFingerprint(catalogue: Catalogue, format: CollectionMeta): string | null {
  const ids: number[] = [];
  const labels: number[] = [];
  const inputs: Uint8Array[] = [];
  for (const batch of catalogue.inputBatches(SEED_BATCH)) {
    ids.push(...batch.ids);
    labels.push(...batch.labels);
    inputs.push(batch.inputs);
  }
  if (ids.some((id, i) => id !== i)) return null;
  const names = catalogue.labelNames();
  const classes = folderClasses(labels.map((l) => names[l] ?? null));
  const set = { count: ids.length, pixels: Buffer.concat(inputs), labels: classes?.labels ?? null };
  return fingerprint(set, format);
}

/** The collection meta of a dataset held in memory. */
export function datasetMeta(dataset: Dataset): CollectionMeta {
  return { name: dataset.name, kind: dataset.kind, origin: dataset.origin, ...dataset.format };
}

/** A new, empty catalogue file in `indexDir` for the collection `meta`. */
export function createCatalogue(indexDir: string, meta: CollectionMeta): Catalogue {
  const stamp = new Date().toISOString().replace(/[-:.TZ]/g, '');
  const catalogue = Catalogue.open(join(indexDir, `collection-${stamp}-${process.pid}.db`), { create: true });
  catalogue.setMeta(meta);
  return catalogue;
}

/** The catalogue to build from, and whether it was seeded now (then it is unnamed until the build succeeds). */
export interface SeededCatalogue {
  readonly catalogue: Catalogue;
  readonly meta: CollectionMeta;
  readonly seeded: boolean;
}

/**
 * The catalogue `current` (the file the index names, if any) when it holds the collection `source`
 * (and, for a dataset, the same images); otherwise a new catalogue seeded from `source`.
 */
export async function catalogueFor(
  indexDir: string,
  current: string | null,
  source: SeedSource,
  events: SeedEvents = {},
): Promise<SeededCatalogue> {
  const dataset =
    source.data in NAMED_DATASETS
      ? await loadIdxDataset(source.data, source.searchPath, source.limit)
      : undefined;
  const wanted = dataset ? datasetMeta(dataset) : folderMeta(source);
  if (current !== null) {
    const catalogue = Catalogue.open(join(indexDir, current));
    const meta = catalogue.meta();
    if (
      meta &&
      sameCollection(meta, wanted) &&
      (!dataset || catalogue.seed()?.fingerprint === dataset.fingerprint)
    )
      return { catalogue, meta, seeded: false };
    catalogue.close();
  }
  const catalogue = createCatalogue(indexDir, wanted);
  try {
    if (dataset) {
      seedDataset(catalogue, dataset, events);
      catalogue.setSeedFingerprint(dataset.fingerprint);
    } else {
      await seedFolder(catalogue, wanted, source.limit, events);
      const seeded = seededFolderFingerprint(catalogue, wanted);
      if (seeded) catalogue.setSeedFingerprint(seeded);
    }
  } catch (err) {
    catalogue.close();
    await Promise.all(['', '-wal', '-shm'].map((end) => rm(`${catalogue.file}${end}`, { force: true })));
    throw err;
  }
  return { catalogue, meta: wanted, seeded: true };
}
