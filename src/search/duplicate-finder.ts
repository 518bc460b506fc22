/**
 * Near-duplicates of a search service's collection: each live item's nearest neighbours through the code
 * index make a neighbour graph (kept while the catalogue does not change), which duplicates.ts groups
 * for a distance D. Shared by GET /api/duplicates and `aesearch duplicates`.
 */
import {
  type DuplicateGroup,
  defaultMaxDistance,
  type GroupingMeasures,
  groupDuplicates,
  type NeighbourEdge,
  type NeighbourGraph,
} from './duplicates.js';
import type { SearchService } from './search-service.js';

/** Neighbours asked of the code index per item: a group larger than this still forms through chains. */
export const DUPLICATE_NEIGHBOURS = 10;

/** How EMBEDDED_ONLY names this feature. */
const DUPLICATES_WHAT = 'Finding near-duplicates';

/** Items searched between event-loop yields, so a server keeps answering while the graph is built. */
const YIELD_EVERY = 500;

/** Groups kept per graph (one per D asked for); the oldest goes first. */
const MAX_CACHED_DS = 16;

/** The near-duplicate groups at one D. */
export interface DuplicatesAnswer {
  /** The D used: the one asked for, or the collection's default. */
  readonly maxDistance: number;
  /** The collection's default D (see defaultMaxDistance). */
  readonly defaultMaxDistance: number;
  readonly groups: readonly DuplicateGroup[];
}

/** A neighbour graph of one state of the catalogue, with the codes it was built from. */
interface Prepared {
  readonly seq: number;
  readonly graph: NeighbourGraph;
  readonly measures: GroupingMeasures;
  readonly defaultD: number;
  readonly groups: Map<number, DuplicateGroup[]>;
}

function distanceFn(metric: 'l2' | 'cosine'): (x: Float32Array, y: Float32Array) => number {
  return (x, y) => {
    let dot = 0;
    let xx = 0;
    let yy = 0;
    let sq = 0;
    for (let i = 0; i < x.length; i++) {
      const a = x[i] ?? 0;
      const b = y[i] ?? 0;
      dot += a * b;
      xx += a * a;
      yy += b * b;
      sq += (a - b) * (a - b);
    }
    if (metric === 'l2') return Math.sqrt(sq);
    return Math.max(0, 1 - dot / Math.sqrt(Math.max(xx * yy, Number.MIN_VALUE)));
  };
}

/** Every live item's code under the service's model (embedding an input when its code is not stored). */
async function codesOf(service: SearchService, ids: Int32Array): Promise<Map<number, Float32Array>> {
  const { catalogue } = service.embedded(DUPLICATES_WHAT);
  const codes = new Map<number, Float32Array>();
  for (const id of ids) {
    const stored = catalogue.code(service.model, id);
    const input = stored ? undefined : catalogue.input(id);
    const code = stored ?? (input ? (await service.embedder.embed([input]))[0] : undefined);
    if (code) codes.set(id, code);
  }
  return codes;
}

/** Builds the neighbour graph of the service's collection as it is now. */
async function prepare(service: SearchService): Promise<Prepared> {
  await service.follow();
  const { catalogue, indexes } = service.embedded(DUPLICATES_WHAT);
  const seq = catalogue.lastSeq();
  const ids = catalogue.ids();
  const codes = await codesOf(service, ids);
  const edges: NeighbourEdge[] = [];
  const nearest = new Float64Array(ids.length).fill(Number.POSITIVE_INFINITY);
  for (const [i, id] of ids.entries()) {
    const code = codes.get(id);
    if (!code) continue;
    const found = indexes.code.search(code, DUPLICATE_NEIGHBOURS + 1);
    found.ids.forEach((other, j) => {
      const distance = found.distances[j] ?? Number.POSITIVE_INFINITY;
      if (other === id || !codes.has(other)) return;
      nearest[i] = Math.min(nearest[i] ?? distance, distance);
      edges.push({ a: Math.min(id, other), b: Math.max(id, other), distance });
    });
    if ((i + 1) % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
  }
  const graph = { ids, edges, nearest };
  const measure = distanceFn(indexes.code.metric);
  const measures: GroupingMeasures = {
    distance: (a, b) => measure(codes.get(a) ?? new Float32Array(), codes.get(b) ?? new Float32Array()),
    sameInput: (a, b) => {
      const x = catalogue.input(a);
      const y = catalogue.input(b);
      return x !== undefined && y !== undefined && Buffer.from(x).equals(y);
    },
  };
  return { seq, graph, measures, defaultD: defaultMaxDistance(graph), groups: new Map() };
}

/** One service's graph, rebuilt when the catalogue's last change differs from the one it was built at. */
class DuplicateFinder {
  private prepared: Promise<Prepared> | undefined;

  constructor(private readonly service: SearchService) {}

  async find(maxDistance?: number): Promise<DuplicatesAnswer> {
    let prepared = await this.current();
    if (prepared.seq !== this.service.embedded(DUPLICATES_WHAT).catalogue.lastSeq()) {
      this.prepared = undefined;
      prepared = await this.current();
    }
    const d = maxDistance ?? prepared.defaultD;
    let groups = prepared.groups.get(d);
    if (!groups) {
      groups = groupDuplicates(prepared.graph, d, prepared.measures);
      if (prepared.groups.size >= MAX_CACHED_DS) prepared.groups.clear();
      prepared.groups.set(d, groups);
    }
    return { maxDistance: d, defaultMaxDistance: prepared.defaultD, groups };
  }

  /** The graph being built or built; a failed build is forgotten, so the next call tries again. */
  private current(): Promise<Prepared> {
    if (!this.prepared) {
      const run = prepare(this.service);
      this.prepared = run;
      run.catch(() => {
        if (this.prepared === run) this.prepared = undefined;
      });
    }
    return this.prepared;
  }
}

const finders = new WeakMap<SearchService, DuplicateFinder>();

/**
 * The near-duplicate groups of `service`'s collection within `maxDistance` in code space (default: the
 * collection's default D), closest first. The neighbour graph is built once per state of the catalogue
 * (about one code-index search per item) and the groups once per D.
 */
export function findDuplicates(service: SearchService, maxDistance?: number): Promise<DuplicatesAnswer> {
  let finder = finders.get(service);
  if (!finder) {
    finder = new DuplicateFinder(service);
    finders.set(service, finder);
  }
  return finder.find(maxDistance);
}
