/**
 * The PostgreSQL store as a CollectionSource: items, thumbnails and inputs read per request, searches by
 * pgvector's HNSW indexes, writes in one transaction each. Nothing is held in memory but the label names,
 * the item count and the published build, so any number of servers share one store; `follow` notices the
 * changes others made (the change log's last sequence number) and refreshes the count and labels.
 */
import type { CollectionMeta, ItemPage, ItemRecord, NewItem } from '../../collection/catalogue.js';
import type { CollectionWriter } from '../../collection/collection-writer.js';
import { createError } from '../../errors.js';
import { type LoadedModel, loadModelFiles } from '../../model/store.js';
import type {
  BuildIdentity,
  CollectionSource,
  SourceHit,
  SpaceQuery,
  VectorSpace,
} from '../collection-source.js';
import { buildIdentity } from '../embedded-source.js';
import type { IndexManifest } from '../manifest.js';
import type { CollectionMap } from '../map-layout.js';
import type { UnusualProfile } from '../unusual-score.js';
import type { PublishedBuild } from './build-record.js';
import type { PgStore } from './pg-store.js';

/**
 * Loads the model with `weightsHash` (by default the one whose codes the store holds) from the store's
 * files; throws NO_MODEL, MODEL_CORRUPT.
 */
export async function loadStoredModel(store: PgStore, weightsHash?: string): Promise<LoadedModel> {
  const stored = await store.loadModel(weightsHash);
  const where = `the PostgreSQL store at ${store.where} (model ${stored.manifest.weightsHash})`;
  return loadModelFiles(stored.manifest, where, async (name) => {
    const file = stored.files.get(name);
    if (!file) throw new Error(`${name} is missing`);
    return file;
  });
}

/** A collection in a PostgreSQL store; owns its connection pool until `close`. */
export class PgSource implements CollectionSource {
  readonly kind = 'postgres';
  readonly identity: BuildIdentity;
  readonly deletedSlots = 0;
  readonly writer: CollectionWriter;
  private appliedSeq = 0;
  private itemCount = 0;
  private names: string[] = [];
  private closed = false;

  private constructor(
    readonly store: PgStore,
    readonly meta: CollectionMeta,
    private readonly build: PublishedBuild,
    private readonly model: string,
  ) {
    this.identity = buildIdentity(build.manifest);
    this.writer = {
      findBySha256: (sha) => store.findBySha256(sha),
      add: (items: readonly NewItem[], codes) => store.addUnique(items, codes),
      remove: (ids) => store.remove(ids),
      itemsUnder: (root) => store.itemsUnder(root),
    };
  }

  /**
   * Opens the collection in `store` for serving with the model whose codes it holds (loaded from the
   * store: no local files). Throws NO_COLLECTION or NO_INDEX (nothing published yet), NO_MODEL,
   * INDEX_MISMATCH, STORE_UNREACHABLE; closes the store when it fails.
   */
  static async open(store: PgStore): Promise<{ source: PgSource; model: LoadedModel }> {
    let model: LoadedModel | undefined;
    try {
      const meta = await store.meta();
      if (!meta) throw createError('NO_COLLECTION', { where: `the PostgreSQL store at ${store.where}` });
      const build = await store.build();
      if (!build) throw createError('NO_INDEX', { where: `the PostgreSQL store at ${store.where}` });
      model = await loadStoredModel(store, build.manifest.model.weightsHash);
      await store.assertModel(model.manifest.weightsHash);
      const source = new PgSource(store, meta, build, model.manifest.weightsHash);
      await source.refresh();
      return { source, model };
    } catch (err) {
      model?.encoder.dispose();
      model?.decoder.dispose();
      await store.close();
      throw err;
    }
  }

  get where(): string {
    return `the PostgreSQL store at ${this.store.where}`;
  }
  get manifest(): IndexManifest {
    return this.build.manifest;
  }
  get spaces(): VectorSpace[] {
    return this.store.spaces.pixelDims === null ? ['code'] : ['code', 'pixel'];
  }
  get codeMetric() {
    return this.store.spaces.metric;
  }
  get unusual(): UnusualProfile | null {
    return this.build.unusual;
  }
  get map(): CollectionMap | null {
    return this.build.map;
  }
  get count(): number {
    return this.itemCount;
  }

  labelNames(): readonly string[] {
    return this.names;
  }

  item(id: number): Promise<ItemRecord | undefined> {
    return this.store.item(id);
  }

  items(options: { offset: number; limit: number; label?: number | null }): Promise<ItemPage> {
    return this.store.items(options);
  }

  countsByLabel(): Promise<Map<number, number>> {
    return this.store.countsByLabel();
  }

  input(id: number): Promise<Uint8Array | undefined> {
    return this.store.input(id);
  }

  thumbnail(id: number): Promise<{ bytes: Uint8Array; type: string } | undefined> {
    return this.store.thumbnail(id);
  }

  async code(id: number): Promise<Float32Array | undefined> {
    return this.store.code(id);
  }

  codes(ids: readonly number[]): Promise<Map<number, Float32Array>> {
    return this.store.codes(ids);
  }

  labelsOf(ids: readonly number[]): Promise<Map<number, number>> {
    return this.store.labelsOf(ids);
  }

  async search(space: VectorSpace, vector: Float32Array, query: SpaceQuery): Promise<SourceHit[]> {
    const k = query.k + (query.exclude === null ? 0 : 1);
    const found = await this.store.search(space, vector, k, {
      efSearch: this.build.manifest.code.params.efSearch,
      ...(query.labels === undefined ? {} : { labels: query.labels }),
    });
    const records = new Map((await this.store.records(found.ids)).map((r) => [r.id, r]));
    const hits: SourceHit[] = [];
    found.ids.forEach((id, i) => {
      const record = records.get(id);
      if (id === query.exclude || !record || hits.length >= query.k) return;
      hits.push({ record, distance: found.distances[i] ?? 0 });
    });
    return hits;
  }

  /** Notices changes since the last call (by any process) and refreshes the count and label names. */
  async follow(): Promise<number> {
    if (this.closed) return 0;
    const seq = await this.store.lastSeq();
    if (seq === this.appliedSeq) return 0;
    const changes = seq - this.appliedSeq;
    await this.refresh(seq);
    return changes;
  }

  private async refresh(seq?: number): Promise<void> {
    const last = seq ?? (await this.store.lastSeq());
    this.itemCount = await this.store.count();
    this.names = await this.store.labelNames();
    this.appliedSeq = last;
  }

  /** The weights hash of the model this source serves codes of. */
  get modelHash(): string {
    return this.model;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.store.close();
  }
}
