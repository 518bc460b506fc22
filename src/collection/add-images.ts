/**
 * Adding images to a collection: each is decoded into an item (ingest.ts), checked against the items
 * already there by the sha256 of its bytes (a duplicate is reported, never added twice), embedded with
 * the current model when one is given, and committed in small batches, each one SQLite transaction: a
 * SIGKILL loses at most the batch in flight, and the next `sync` adds it.
 */
import { readFile } from 'node:fs/promises';
import { isAesearchError } from '../errors.js';
import type { InputFormat } from '../image/preprocess.js';
import { mapWithConcurrency } from '../util/pool.js';
import type { NewItem } from './catalogue.js';
import type { CollectionWriter } from './collection-writer.js';
import { type ImageOrigin, ingestImage, sha256Hex } from './ingest.js';

/** Items committed per transaction. */
const COMMIT_BATCH = 32;
/** Images decoded at once (sharp runs them on libuv's pool). */
const DECODE_CONCURRENCY = 4;

/** An image to add: its bytes (an upload) or its file, and where it comes from. */
export type ImageToAdd = ImageOrigin & ({ readonly bytes: Uint8Array } | { readonly path: string });

/** Embeds model inputs (side x side x channels bytes each) under one model. */
export interface Embedder {
  /** The model's weights hash: codes are stored under it. */
  readonly model: string;
  embed(inputs: readonly Uint8Array[]): Promise<Float32Array[]>;
}

/** A rejected image's error, as the API shows it. */
export interface RejectedImage {
  readonly source: string;
  readonly error: { readonly code: string; readonly message: string };
}

/** What a change to the collection did: the shape of `add`/`sync --json` and of POST /api/items. */
export interface ChangeReport {
  readonly added: { id: number; source: string; label: string | null }[];
  readonly duplicates: { source: string; id: number }[];
  readonly removed: number[];
  readonly rejected: RejectedImage[];
}

/** An empty report. */
export function emptyReport(): ChangeReport {
  return { added: [], duplicates: [], removed: [], rejected: [] };
}

/** Options of `addImages`. */
export interface AddOptions {
  /** The model whose codes are stored with the items; without one, `index` embeds them later. */
  readonly embedder?: Embedder | null;
  /** Called after each image with the count done. */
  readonly onProgress?: (done: number, total: number) => void;
  /** Decode limits (the server's budget and slots); batch jobs use the defaults. */
  readonly decoding?: Parameters<typeof ingestImage>[3];
  /** Explicit ids for the items, in order (seeding only). */
  readonly ids?: readonly number[];
}

/** One image after decoding: a new item, a duplicate of a stored one, or rejected. */
type Ingested =
  | { readonly item: NewItem }
  | { readonly duplicateOf: number }
  | { readonly error: RejectedImage };

function rejection(source: string, err: unknown): RejectedImage {
  if (isAesearchError(err)) return { source, error: { code: err.code, message: err.message } };
  return { source, error: { code: 'NOT_AN_IMAGE', message: `${source}: ${String(err)}` } };
}

/** Adds `images` to `catalogue` (whose format is `meta`); returns what was added, duplicated, rejected. */
export async function addImages(
  catalogue: CollectionWriter,
  meta: InputFormat,
  images: readonly ImageToAdd[],
  options: AddOptions = {},
): Promise<ChangeReport> {
  const report = emptyReport();
  let done = 0;
  for (let start = 0; start < images.length; start += COMMIT_BATCH) {
    const slice = images.slice(start, start + COMMIT_BATCH);
    const ingested = await mapWithConcurrency(slice, DECODE_CONCURRENCY, async (image): Promise<Ingested> => {
      try {
        const bytes = 'bytes' in image ? image.bytes : new Uint8Array(await readFile(image.path));
        const sha = sha256Hex(bytes);
        const existing = await catalogue.findBySha256(sha);
        if (existing) return { duplicateOf: existing.id };
        return { item: await ingestImage(bytes, meta, image, { ...options.decoding, what: image.source }) };
      } catch (err) {
        return { error: rejection(image.source, err) };
      } finally {
        options.onProgress?.(++done, images.length);
      }
    });
    const fresh: NewItem[] = [];
    const sources: string[] = [];
    ingested.forEach((r, i) => {
      const source = (slice[i] as ImageToAdd).source;
      if ('error' in r) report.rejected.push(r.error);
      else if ('duplicateOf' in r) report.duplicates.push({ source, id: r.duplicateOf });
      else {
        const id = options.ids?.[start + i];
        fresh.push(id === undefined ? r.item : { ...r.item, id });
        sources.push(source);
      }
    });
    const codes = options.embedder
      ? { model: options.embedder.model, codes: await options.embedder.embed(fresh.map((f) => f.input)) }
      : undefined;
    // Copies inside one batch (or added by another writer meanwhile) come back as duplicates.
    (await catalogue.add(fresh, codes)).forEach(({ id, duplicate }, i) => {
      const item = fresh[i] as NewItem;
      if (duplicate) report.duplicates.push({ source: sources[i] ?? item.source, id });
      else report.added.push({ id, source: item.source, label: item.labelName });
    });
  }
  return report;
}
