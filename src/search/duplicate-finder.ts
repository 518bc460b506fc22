/**
 * Near-duplicates of a search service's collection, in three stages, kept while the catalogue does not
 * change (shared by GET /api/duplicates and `aesearch duplicates`):
 *
 * 1. candidates: each item's nearest neighbours in a probe space built here (HNSW over each item's probe
 *    vector, searched with the item's probes: copy-check.ts), which finds the crops and resizes that code
 *    space ranks among dozens of natural neighbours;
 * 2. the copy check: the candidates' copy scores, decided by copy-pairs.ts (a floor and a ratio test);
 * 3. grouping (duplicates.ts): pairs within D in code space, by union-find; D defaults to the largest code
 *    distance of a copy pair.
 *
 * Every read of the collection goes through readCollection and changeSeq, below.
 */
import { DEFAULT_HNSW, type Metric, VectorIndex } from '../store/vector-index.js';
import {
  type CopyImageFormat,
  type CopySignature,
  copyScore,
  copySignature,
  probeDims,
  probeVector,
  probeVectors,
} from './copy-check.js';
import { type CandidatePair, type CopyRule, DEFAULT_COPY_RULE, decideCopyPairs } from './copy-pairs.js';
import {
  type DuplicateGroup,
  defaultMaxDistance,
  type GroupingMeasures,
  groupDuplicates,
  type NeighbourEdge,
  type NeighbourGraph,
} from './duplicates.js';
import type { SearchService } from './search-service.js';

/**
 * Neighbours asked of the probe index for an item's own probe (its rivals in the copy check come from
 * these), and for each of its other probes (a copy is first or second there).
 */
export const PROBE_NEIGHBOURS = 4;
export const POSE_PROBE_NEIGHBOURS = 2;

/** HNSW settings of the probe index: built for one pass of searches, then dropped. */
const PROBE_HNSW = Object.freeze({ ...DEFAULT_HNSW, efConstruction: 48, efSearch: 24 });

/** Items handled between event-loop yields, so a server keeps answering while the graph is built. */
const YIELD_EVERY = 250;

/** Groups kept per graph (one per D asked for); the oldest goes first. */
const MAX_CACHED_DS = 16;

/** Signatures kept while scoring (about 3 KB each for 28 px inputs). */
const MAX_CACHED_SIGNATURES = 4096;

/** The near-duplicate groups at one D. */
export interface DuplicatesAnswer {
  /** The D used: the one asked for, or the collection's default. */
  readonly maxDistance: number;
  /** The collection's default D (see defaultMaxDistance). */
  readonly defaultMaxDistance: number;
  readonly groups: readonly DuplicateGroup[];
  /** How the copy graph behind the answer was built. */
  readonly build: BuildStats;
}

/** Figures of one build of the copy graph. */
export interface BuildStats {
  readonly items: number;
  /** Candidate pairs, and how many were scored (the rest too unlike). */
  readonly candidates: number;
  readonly scored: number;
  readonly copyPairs: number;
  /** Seconds to build: candidates (probe index and searches), then the copy check. */
  readonly candidateSeconds: number;
  readonly checkSeconds: number;
}

/** What the finder reads of the collection: every live item's code and model input, and their format. */
interface CollectionView {
  /** The catalogue's last change: the graph is rebuilt when it moves. */
  readonly seq: number;
  readonly codes: ReadonlyMap<number, Float32Array>;
  readonly inputs: ReadonlyMap<number, Uint8Array>;
  readonly format: CopyImageFormat;
  readonly metric: Metric;
}

/** How EMBEDDED_ONLY names this feature. */
const DUPLICATES_WHAT = 'Finding near-duplicates';

const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The catalogue's last change; throws EMBEDDED_ONLY for a collection in PostgreSQL. */
function changeSeq(service: SearchService): number {
  return service.embedded(DUPLICATES_WHAT).catalogue.lastSeq();
}

/**
 * The collection as it is now: the service's catalogue (embedding an input without a stored code).
 * Throws EMBEDDED_ONLY for a collection in PostgreSQL.
 */
async function readCollection(service: SearchService): Promise<CollectionView> {
  await service.follow();
  const { catalogue, indexes, meta } = service.embedded(DUPLICATES_WHAT);
  const seq = changeSeq(service);
  const ids = catalogue.ids();
  const codes = new Map<number, Float32Array>();
  const inputs = new Map<number, Uint8Array>();
  for (const [i, id] of ids.entries()) {
    const input = catalogue.input(id);
    if (!input) continue;
    const code = catalogue.code(service.model, id) ?? (await service.embedder.embed([input]))[0];
    if (!code) continue;
    inputs.set(id, input);
    codes.set(id, code);
    if ((i + 1) % (YIELD_EVERY * 20) === 0) await pause();
  }
  return {
    seq,
    codes,
    inputs,
    format: { side: meta.side, channels: meta.channels },
    metric: indexes.code.metric,
  };
}

/** A neighbour graph of one state of the catalogue, with the codes it was built from. */
interface Prepared {
  readonly seq: number;
  readonly graph: NeighbourGraph;
  readonly measures: GroupingMeasures;
  readonly defaultD: number;
  readonly groups: Map<number, DuplicateGroup[]>;
  readonly build: BuildStats;
}

function distanceFn(metric: Metric): (x: Float32Array, y: Float32Array) => number {
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

/** Candidate pairs, each once with its best probe correlation. */
class Candidates {
  private readonly pairs = new Map<string, CandidatePair>();

  add(a: number, b: number, probe: number): void {
    if (a === b) return;
    const [lo, hi] = a < b ? [a, b] : [b, a];
    const key = `${lo}:${hi}`;
    const known = this.pairs.get(key);
    if (!known || known.probe < probe) this.pairs.set(key, { a: lo, b: hi, probe });
  }

  list(): CandidatePair[] {
    return [...this.pairs.values()];
  }
}

/**
 * Stage 1: candidate pairs from the probe space. (Code space's nearest neighbours added no planted copy
 * that the probes missed, on 60,000 Fashion-MNIST items with 600 copies, so they are not asked.)
 */
async function findCandidates(view: CollectionView, signatureOf: (id: number) => CopySignature) {
  const ids = [...view.inputs.keys()];
  const dims = probeDims(view.format.side);
  const plain = new Float32Array(ids.length * dims);
  for (const [i, id] of ids.entries()) {
    plain.set(probeVector(signatureOf(id)), i * dims);
    if ((i + 1) % YIELD_EVERY === 0) await pause();
  }
  const probeIndex = await VectorIndex.build(plain, dims, 'l2', PROBE_HNSW, undefined, Int32Array.from(ids));
  const candidates = new Candidates();
  try {
    for (const [i, id] of ids.entries()) {
      for (const [n, probe] of probeVectors(signatureOf(id)).entries()) {
        const found = probeIndex.search(probe, 1 + (n === 0 ? PROBE_NEIGHBOURS : POSE_PROBE_NEIGHBOURS));
        found.ids.forEach((other, j) => {
          const d = found.distances[j] ?? 2;
          candidates.add(id, other, 1 - (d * d) / 2);
        });
      }
      if ((i + 1) % YIELD_EVERY === 0) await pause();
    }
  } finally {
    probeIndex.dispose();
  }
  return candidates.list();
}

/** Builds the copy graph of the collection as it is now. */
async function prepare(service: SearchService, rule: CopyRule): Promise<Prepared> {
  const view = await readCollection(service);
  const cache = new Map<number, CopySignature>();
  const signatureOf = (id: number): CopySignature => {
    let signature = cache.get(id);
    if (!signature) {
      if (cache.size >= MAX_CACHED_SIGNATURES) cache.clear();
      signature = copySignature(view.inputs.get(id) ?? new Uint8Array(), view.format);
      cache.set(id, signature);
    }
    return signature;
  };
  const sameInput = (a: number, b: number) => {
    const x = view.inputs.get(a);
    const y = view.inputs.get(b);
    return x !== undefined && y !== undefined && Buffer.from(x).equals(y);
  };
  const started = performance.now();
  const candidates = await findCandidates(view, signatureOf);
  const checking = performance.now();
  let scored = 0;
  const score = (a: number, b: number) => {
    scored++;
    return sameInput(a, b) ? 1 : copyScore(signatureOf(a), signatureOf(b));
  };
  const copies = await decideCopyPairs(candidates, score, rule, pause);
  const build: BuildStats = {
    items: view.inputs.size,
    candidates: candidates.length,
    scored,
    copyPairs: copies.length,
    candidateSeconds: (checking - started) / 1000,
    checkSeconds: (performance.now() - checking) / 1000,
  };
  const measure = distanceFn(view.metric);
  const distance = (a: number, b: number) =>
    measure(view.codes.get(a) ?? new Float32Array(), view.codes.get(b) ?? new Float32Array());
  const edges: NeighbourEdge[] = copies.map(({ a, b }) => ({ a, b, distance: distance(a, b) }));
  edges.sort((x, y) => x.distance - y.distance);
  const graph = { edges };
  return {
    seq: view.seq,
    graph,
    measures: { distance, sameInput },
    defaultD: defaultMaxDistance(graph),
    groups: new Map(),
    build,
  };
}

/** One service's copy graph, rebuilt when the catalogue's last change differs from the one it was built at. */
class DuplicateFinder {
  private prepared: Promise<Prepared> | undefined;

  constructor(
    private readonly service: SearchService,
    readonly rule: CopyRule,
  ) {}

  async find(maxDistance?: number): Promise<DuplicatesAnswer> {
    let prepared = await this.current();
    if (prepared.seq !== changeSeq(this.service)) {
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
    return { maxDistance: d, defaultMaxDistance: prepared.defaultD, groups, build: prepared.build };
  }

  /** The graph being built or built; a failed build is forgotten, so the next call tries again. */
  private current(): Promise<Prepared> {
    if (!this.prepared) {
      const run = prepare(this.service, this.rule);
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
 * collection's default D), closest first, copies decided by `rule`. The copy graph is built once per
 * state of the catalogue and rule (a probe index and six searches per item, then the copy check of the
 * candidates) and the groups once per D.
 */
export function findDuplicates(
  service: SearchService,
  maxDistance?: number,
  rule: CopyRule = DEFAULT_COPY_RULE,
): Promise<DuplicatesAnswer> {
  let finder = finders.get(service);
  if (!finder || finder.rule !== rule) {
    finder = new DuplicateFinder(service, rule);
    finders.set(service, finder);
  }
  return finder.find(maxDistance);
}
