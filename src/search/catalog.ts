/**
 * The collection behind a search service, for browsing and for describing it: pages of items with an
 * optional label filter, label counts, and a summary of the dataset, model and index. Pure; no HTTP types.
 */

import { labelName } from '../dataset/types.js';
import type { ModelManifest } from '../model/store.js';
import type { IndexManifest } from '../store/manifest.js';
import type { SearchState } from './search-service.js';

/** One item of the collection. */
export interface CatalogItem {
  readonly id: number;
  readonly label: number | null;
  readonly labelName: string | null;
}

/** Which page of the collection to list. */
export interface ListOptions {
  readonly offset: number;
  readonly limit: number;
  /** Keep only items with this label. */
  readonly label?: number;
}

/** A page of items; `total` counts every item that passes the filter. */
export interface ItemPage {
  readonly total: number;
  readonly items: CatalogItem[];
}

/** Lists `limit` items from `offset` (in id order), optionally only those labelled `label`. */
export function listItems(state: Pick<SearchState, 'dataset'>, options: ListOptions): ItemPage {
  const { dataset } = state;
  const labels = dataset.database.labels;
  const item = (id: number): CatalogItem => {
    const label = labels?.[id] ?? null;
    return { id, label, labelName: labelName(dataset, label) };
  };
  const end = options.offset + options.limit;
  if (options.label === undefined) {
    const total = dataset.database.count;
    const items: CatalogItem[] = [];
    for (let id = options.offset; id < Math.min(end, total); id++) items.push(item(id));
    return { total, items };
  }
  const items: CatalogItem[] = [];
  let total = 0;
  for (let id = 0; id < dataset.database.count; id++) {
    if (labels?.[id] !== options.label) continue;
    if (total >= options.offset && total < end) items.push(item(id));
    total++;
  }
  return { total, items };
}

/** Number of database items per label (index = label), or null for an unlabelled dataset. */
export function labelCounts(state: Pick<SearchState, 'dataset'>): number[] | null {
  const { dataset } = state;
  const labels = dataset.database.labels;
  if (!labels) return null;
  const counts = new Array<number>(dataset.classNames?.length ?? 0).fill(0);
  for (const label of labels) counts[label] = (counts[label] ?? 0) + 1;
  return counts;
}

/** What `describeCollection` returns: the dataset, model and index at a glance, plus both manifests. */
export interface CollectionSummary {
  readonly dataset: {
    readonly name: string;
    readonly origin: string;
    readonly split: string;
    readonly fingerprint: string;
    readonly side: number;
    /** 1 grayscale, 3 colour. */
    readonly channels: number;
    readonly items: number;
    readonly queries: number;
    readonly classNames: readonly string[] | null;
    readonly labelCounts: number[] | null;
  };
  readonly items: number;
  readonly codeSize: number;
  readonly arch: ModelManifest['arch'];
  readonly model: Pick<ModelManifest, 'weightsHash' | 'finalLoss' | 'training' | 'createdAt'>;
  readonly index: Pick<IndexManifest, 'code' | 'pixel' | 'builtAt' | 'embedSeconds' | 'totalSeconds'>;
  readonly manifests: { readonly index: IndexManifest; readonly model: ModelManifest };
}

/** Summarises a loaded index for display. */
export function describeCollection(state: Omit<SearchState, 'encoder' | 'decoder'>): CollectionSummary {
  const { dataset, indexManifest: index, modelManifest: model } = state;
  return {
    dataset: {
      name: dataset.name,
      origin: dataset.origin,
      split: dataset.split,
      fingerprint: dataset.fingerprint,
      side: dataset.format.side,
      channels: dataset.format.channels,
      items: dataset.database.count,
      queries: dataset.queries.count,
      classNames: dataset.classNames,
      labelCounts: labelCounts(state),
    },
    items: dataset.database.count,
    codeSize: model.codeSize,
    arch: model.arch,
    model: {
      weightsHash: model.weightsHash,
      finalLoss: model.finalLoss,
      training: model.training,
      createdAt: model.createdAt,
    },
    index: {
      code: index.code,
      pixel: index.pixel,
      builtAt: index.builtAt,
      embedSeconds: index.embedSeconds,
      totalSeconds: index.totalSeconds,
    },
    manifests: { index, model },
  };
}
