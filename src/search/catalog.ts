/**
 * The collection behind a search service, for browsing and for describing it: pages of items with an
 * optional label filter, label counts, and a summary of the collection, model and index. Reads the
 * catalogue; no HTTP types.
 */

import type { ModelManifest } from '../model/store.js';
import type { IndexManifest } from '../store/manifest.js';
import type { ItemInfo, SearchService } from './search-service.js';

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
  readonly items: ItemInfo[];
}

/** Lists `limit` live items from `offset` (in id order), optionally only those labelled `label`. */
export async function listItems(service: SearchService, options: ListOptions): Promise<ItemPage> {
  const page = await service.source.items(options);
  return {
    total: page.total,
    items: page.items.map((r) => ({
      id: r.id,
      label: r.label,
      labelName: service.labelName(r.label),
      source: r.source,
      addedAt: r.addedAt,
    })),
  };
}

/** Number of live items per label (index = label), or null for an unlabelled collection. */
export async function labelCounts(service: SearchService): Promise<number[] | null> {
  const names = service.source.labelNames();
  if (names.length === 0) return null;
  const byLabel = await service.source.countsByLabel();
  return names.map((_, label) => byLabel.get(label) ?? 0);
}

/** What `describeCollection` returns: the collection, model and index at a glance, plus both manifests. */
export interface CollectionSummary {
  /** The collection (named `dataset` as before collections could change). */
  readonly dataset: {
    readonly name: string;
    readonly kind: 'idx' | 'folder';
    readonly origin: string;
    readonly side: number;
    readonly channels: number;
    readonly items: number;
    readonly classNames: readonly string[] | null;
    readonly labelCounts: number[] | null;
  };
  readonly items: number;
  readonly codeSize: number;
  readonly arch: ModelManifest['arch'];
  readonly model: Pick<ModelManifest, 'weightsHash' | 'finalLoss' | 'training' | 'createdAt'>;
  readonly index: Pick<IndexManifest, 'code' | 'pixel' | 'builtAt' | 'embedSeconds' | 'totalSeconds'> & {
    /** Slots of removed items not yet reused by added ones (reclaimed by `aesearch index --compact`). */
    readonly deletedSlots: number;
  };
  readonly manifests: { readonly index: IndexManifest; readonly model: ModelManifest };
}

/** Summarises an open collection for display. */
export async function describeCollection(service: SearchService): Promise<CollectionSummary> {
  const { meta, manifest: index } = service.source;
  const model = service.modelManifest;
  const names = service.source.labelNames();
  return {
    dataset: {
      name: meta.name,
      kind: meta.kind,
      origin: meta.origin,
      side: meta.side,
      channels: meta.channels,
      items: service.count,
      classNames: names.length > 0 ? names : null,
      labelCounts: await labelCounts(service),
    },
    items: service.count,
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
      deletedSlots: service.source.deletedSlots,
    },
    manifests: { index, model },
  };
}
