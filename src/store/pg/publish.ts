/**
 * `aesearch index --store URL`: publishes the index folder's build into a PostgreSQL store, so servers on
 * the store need no local files. The first publish copies the collection (items, labels, inputs,
 * thumbnails, codes, pixel vectors); later ones keep the store's collection as it is (items added and
 * removed through servers stay so) and replace its codes with the new model's, embedding the items the
 * folder does not have. Then the model, and last the build record, which servers poll and reload on.
 * Vectors are loaded with the HNSW indexes dropped and rebuilt once at the end.
 */
import type { Catalogue, CollectionMeta } from '../../collection/catalogue.js';
import { createError } from '../../errors.js';
import { toUnitFloat } from '../../image/preprocess.js';
import { EMBED_BATCH, embedImages } from '../../model/encoder.js';
import { readModelFiles } from '../../model/store.js';
import { closeIndex, type OpenedIndex, openIndex } from '../open-index.js';
import { PgStore } from './pg-store.js';
import type { SpaceParams } from './schema.js';
import type { PgNewItem } from './writes.js';

/** Items per transaction while copying or re-coding. */
const PUBLISH_BATCH = 500;

/** The publishing stages, for progress bars. */
export type PublishStage = 'copy' | 'codes' | 'embed';

/** What a publish did. */
export interface PublishReport {
  /** `host:port/db` of the store. */
  readonly where: string;
  /** Items in the store afterwards. */
  readonly items: number;
  /** Items copied from the folder (the first publish), else 0. */
  readonly copied: number;
  /** Items embedded now because the folder had no code for them. */
  readonly embedded: number;
  readonly seconds: number;
}

/** The store's spaces for the build `opened` holds. */
function spacesOf(opened: OpenedIndex): SpaceParams {
  const { code, pixel } = opened.indexManifest;
  return {
    codeDims: code.dims,
    pixelDims: pixel ? pixel.dims : null,
    metric: code.metric,
    m: code.params.m,
    efConstruction: code.params.efConstruction,
  };
}

/** Copies every item of `catalogue` with its code under `model`, ids kept. */
async function copyItems(
  store: PgStore,
  catalogue: Catalogue,
  model: string,
  onProgress: (done: number, total: number) => void,
): Promise<number> {
  await store.defineLabels(catalogue.labelNames());
  const names = catalogue.labelNames();
  const ids = catalogue.ids();
  for (let start = 0; start < ids.length; start += PUBLISH_BATCH) {
    const batch: PgNewItem[] = [];
    for (const id of ids.subarray(start, start + PUBLISH_BATCH)) {
      const record = catalogue.item(id);
      const input = catalogue.input(id);
      const thumb = catalogue.thumbnail(id);
      if (!record || !input || !thumb) continue;
      batch.push({
        id,
        source: record.source,
        root: record.root,
        labelName: record.label === null ? null : (names[record.label] ?? String(record.label)),
        bytes: record.bytes,
        sha256: record.sha256,
        mtimeMs: record.mtimeMs,
        input,
        thumb: thumb.bytes,
        thumbType: thumb.type,
        code: catalogue.code(model, id) ?? null,
      });
    }
    await store.add(batch);
    onProgress(Math.min(ids.length, start + PUBLISH_BATCH), ids.length);
  }
  return ids.length;
}

/** Stores the folder's codes under `model` for the items the store holds (others are ignored). */
async function copyCodes(
  store: PgStore,
  catalogue: Catalogue,
  model: string,
  onProgress: (done: number, total: number) => void,
): Promise<void> {
  if ((await store.codesModel()) !== model) await store.clearCodes();
  const ids = catalogue.ids();
  for (let start = 0; start < ids.length; start += PUBLISH_BATCH) {
    const rows: [number, Float32Array][] = [];
    for (const id of ids.subarray(start, start + PUBLISH_BATCH)) {
      const code = catalogue.code(model, id);
      if (code) rows.push([id, code]);
    }
    await store.setCodes(model, rows);
    onProgress(Math.min(ids.length, start + PUBLISH_BATCH), ids.length);
  }
}

/** Embeds the store's items that have no code yet with `opened`'s encoder; returns how many. */
async function embedMissing(
  store: PgStore,
  opened: OpenedIndex,
  onProgress: (done: number, total: number) => void,
): Promise<number> {
  let done = 0;
  for (;;) {
    const rows = await store.withoutCode(EMBED_BATCH);
    if (rows.length === 0) return done;
    const area = rows[0]?.input.length ?? 0;
    const images = new Float32Array(rows.length * area);
    rows.forEach((row, i) => {
      toUnitFloat(row.input, images.subarray(i * area, (i + 1) * area));
    });
    const codes = await embedImages(opened.encoder, images, rows.length);
    const size = codes.length / rows.length;
    await store.setCodes(
      opened.modelManifest.weightsHash,
      rows.map((row, i) => [row.id, codes.slice(i * size, (i + 1) * size)] as const),
    );
    done += rows.length;
    onProgress(done, done);
  }
}

/** Refuses to publish collection `mine` into a store that holds another one. */
function assertSameCollection(held: CollectionMeta | null, mine: CollectionMeta, where: string): void {
  if (held === null) return;
  const same = held.name === mine.name && held.side === mine.side && held.channels === mine.channels;
  if (!same)
    throw createError('INDEX_MISMATCH', {
      file: `the PostgreSQL store at ${where}`,
      what: 'collection',
      index: `${held.name} (${held.side} px, ${held.channels} channels)`,
      current: `${mine.name} (${mine.side} px, ${mine.channels} channels)`,
    });
}

/**
 * Publishes the build in `indexDir` into the store at `url`, creating or migrating its schema. Throws
 * STORE_UNREACHABLE, STORE_SCHEMA, INDEX_MISMATCH (the store holds another collection), and what
 * openIndex throws for the folder.
 */
export async function publishIndex(
  url: string,
  indexDir: string,
  onProgress: (stage: PublishStage, done: number, total: number) => void = () => {},
): Promise<PublishReport> {
  const started = performance.now();
  const opened = await openIndex(indexDir, { pixel: false });
  try {
    const model = opened.modelManifest.weightsHash;
    const store = await PgStore.open(url, { migrate: spacesOf(opened) });
    try {
      const held = await store.meta();
      assertSameCollection(held, opened.meta, store.where);
      let copied = 0;
      const embedded = await store.bulkLoad(async () => {
        if (held === null) {
          copied = await copyItems(store, opened.catalogue, model, (d, t) => onProgress('copy', d, t));
          await store.setMeta(opened.meta);
        } else {
          await copyCodes(store, opened.catalogue, model, (d, t) => onProgress('codes', d, t));
        }
        const made = await embedMissing(store, opened, (d, t) => onProgress('embed', d, t));
        // Records the model whose codes the store holds now, also when every code came with the copy.
        await store.setCodes(model, []);
        return made;
      });
      await store.saveModel({
        manifest: opened.modelManifest,
        files: await readModelFiles(indexDir, opened.modelManifest),
      });
      await store.publishBuild({ manifest: opened.indexManifest, unusual: opened.unusual, map: opened.map });
      return {
        where: store.where,
        items: await store.count(),
        copied,
        embedded,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      await store.close();
    }
  } finally {
    closeIndex(opened);
  }
}
