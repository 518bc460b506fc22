/**
 * The embedded store as a CollectionSource: an index folder opened by openIndex (the SQLite catalogue and
 * the hnswlib files). Changes other processes make to the catalogue are applied to the HNSW indexes in
 * place by `follow`, from the catalogue's change log.
 */
import type { ItemPage, ItemRecord } from '../collection/catalogue.js';
import { createError } from '../errors.js';
import { toUnitFloat } from '../image/preprocess.js';
import type {
  BuildIdentity,
  CollectionSource,
  EmbedInput,
  SourceHit,
  SpaceQuery,
  VectorSpace,
} from './collection-source.js';
import type { IndexManifest } from './manifest.js';
import type { OpenedIndex } from './open-index.js';
import type { VectorIndex } from './vector-index.js';

/** An opened index folder, without its model (the search service owns that). */
export type EmbeddedParts = Pick<
  OpenedIndex,
  'indexManifest' | 'catalogue' | 'meta' | 'indexes' | 'unusual' | 'map'
> & { readonly model: string };

/** The identity of a build, from its manifest. */
export function buildIdentity(m: IndexManifest): BuildIdentity {
  return { id: m.dir, builtAt: m.builtAt, items: m.collection.count };
}

/** A collection in an index folder; owns the catalogue and HNSW indexes it is given until `close`. */
export class EmbeddedSource implements CollectionSource {
  readonly kind = 'embedded';
  readonly identity: BuildIdentity;
  private appliedSeq: number;
  private names: string[];
  private labelsById: Map<number, number> | undefined;
  private closed = false;

  constructor(readonly parts: EmbeddedParts) {
    this.identity = buildIdentity(parts.indexManifest);
    this.appliedSeq = parts.indexManifest.changesSeq;
    this.names = parts.catalogue.labelNames();
  }

  get manifest() {
    return this.parts.indexManifest;
  }
  get where(): string {
    return this.parts.catalogue.file;
  }
  get meta() {
    return this.parts.meta;
  }
  get spaces(): VectorSpace[] {
    return this.parts.indexes.pixel ? ['code', 'pixel'] : ['code'];
  }
  get codeMetric() {
    return this.parts.indexManifest.code.metric;
  }
  get unusual() {
    return this.parts.unusual;
  }
  get map() {
    return this.parts.map;
  }
  get count(): number {
    return this.parts.indexes.code.count;
  }
  get deletedSlots(): number {
    return this.parts.indexes.code.deletedSlots;
  }
  get writer() {
    return this.parts.catalogue;
  }

  labelNames(): readonly string[] {
    return this.names;
  }

  async item(id: number): Promise<ItemRecord | undefined> {
    return this.parts.catalogue.item(id);
  }

  async items(options: { offset: number; limit: number; label?: number | null }): Promise<ItemPage> {
    return this.parts.catalogue.items(options);
  }

  async countsByLabel(): Promise<Map<number, number>> {
    return this.parts.catalogue.countsByLabel();
  }

  async input(id: number): Promise<Uint8Array | undefined> {
    return this.parts.catalogue.input(id);
  }

  async thumbnail(id: number): Promise<{ bytes: Uint8Array; type: string } | undefined> {
    return this.parts.catalogue.thumbnail(id);
  }

  async code(id: number): Promise<Float32Array | undefined> {
    return this.parts.catalogue.code(this.parts.model, id);
  }

  async codes(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    const out = new Map<number, Float32Array>();
    for (const id of ids) {
      const code = this.parts.catalogue.code(this.parts.model, id);
      if (code) out.set(id, code);
    }
    return out;
  }

  async labelsOf(ids: readonly number[]): Promise<Map<number, number>> {
    const labels = this.itemLabels();
    const out = new Map<number, number>();
    for (const id of ids) {
      const label = labels.get(id);
      if (label !== undefined) out.set(id, label);
    }
    return out;
  }

  /** Each live item's label (-1 when none): read once, then kept current by `follow`. */
  private itemLabels(): Map<number, number> {
    this.labelsById ??= this.parts.catalogue.labelsById();
    return this.labelsById;
  }

  async search(space: VectorSpace, vector: Float32Array, query: SpaceQuery): Promise<SourceHit[]> {
    const index = this.parts.indexes[space];
    if (!index) throw createError('SPACE_UNAVAILABLE', { space });
    const found = this.searchIndex(index, vector, query);
    const hits: SourceHit[] = [];
    found.ids.forEach((id, i) => {
      if (id === query.exclude || hits.length >= query.k) return;
      // Removed from the catalogue by another process, not yet marked deleted here (until the next follow).
      const record = this.parts.catalogue.item(id);
      if (record) hits.push({ record, distance: found.distances[i] ?? 0 });
    });
    return hits;
  }

  /**
   * The index's answer: k + 1 when the excluded item may come back (it is dropped afterwards), or, with a
   * label filter, k that the filter (which also keeps the excluded item out) accepts.
   */
  private searchIndex(index: VectorIndex, vector: Float32Array, query: SpaceQuery) {
    if (query.labels === undefined) return index.search(vector, query.k + (query.exclude === null ? 0 : 1));
    const wanted = new Set(query.labels);
    const labels = this.itemLabels();
    return index.search(vector, query.k, (id) => id !== query.exclude && wanted.has(labels.get(id) ?? -1));
  }

  /**
   * Applies the catalogue's changes since the last call to the vector indexes in place (an added item's
   * stored code, or its input embedded now when its code is of another model; a removed item marked
   * deleted).
   */
  async follow(embed: EmbedInput): Promise<number> {
    if (this.closed) return 0;
    const { catalogue, indexes } = this.parts;
    const changes = catalogue.changesSince(this.appliedSeq);
    for (const change of changes) {
      if (this.closed) return 0;
      if (change.op === 'remove') {
        this.labelsById?.delete(change.itemId);
        indexes.code.remove(change.itemId);
        indexes.pixel?.remove(change.itemId);
      } else {
        const input = catalogue.input(change.itemId);
        // Removed again since: its own 'remove' change follows, nothing to add.
        if (input) {
          const label = catalogue.item(change.itemId)?.label ?? -1;
          this.labelsById?.set(change.itemId, label);
          if (label >= this.names.length) this.names = catalogue.labelNames();
          const code = catalogue.code(this.parts.model, change.itemId) ?? (await embed(input));
          if (this.closed) return 0;
          indexes.code.add(change.itemId, code);
          indexes.pixel?.add(change.itemId, toUnitFloat(input));
        }
      }
      this.appliedSeq = change.seq;
    }
    return changes.length;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.parts.catalogue.close();
    this.parts.indexes.code.dispose();
    this.parts.indexes.pixel?.dispose();
  }
}
