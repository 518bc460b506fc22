/**
 * Near-duplicate grouping, pure: from each item's nearest neighbours in code space (a neighbour graph),
 * the groups of items linked by neighbours within a distance D (single linkage, by union-find), each
 * measured by its diameter, closest first; and the default D derived from the collection itself.
 */

/** Each item's nearest neighbours in code space, as a code index answers them. */
export interface NeighbourGraph {
  /** Live item ids, ascending. */
  readonly ids: Int32Array;
  /** Pairs (a < b) that are among each other's k nearest, with their distance, closest first. */
  readonly edges: readonly NeighbourEdge[];
  /** Each item's distance to its nearest other item (Infinity for a lone item), in `ids` order. */
  readonly nearest: Float64Array;
}

/** Two items and their distance in code space. */
export interface NeighbourEdge {
  readonly a: number;
  readonly b: number;
  readonly distance: number;
}

/** A group of near-duplicates: item ids ascending, its diameter, and whether all inputs are identical. */
export interface DuplicateGroup {
  readonly ids: number[];
  /** The largest distance between two of its items (complete linkage: no pair is farther apart). */
  readonly distance: number;
  readonly exact: boolean;
}

/**
 * The default D is this share of the median nearest-neighbour distance. The median stays put while
 * fewer than half the items have a copy; the share was measured on planted copies (JPEG q50, resize,
 * crop <= 5%, brightness +-10%): see docs/collections.md, "Near-duplicates".
 */
export const DEFAULT_D_SHARE_OF_MEDIAN = 0.4;

/** The median of the finite values, or 0 when there are none. */
function median(values: Float64Array): number {
  const finite = Array.from(values)
    .filter((v) => Number.isFinite(v))
    .sort((a, b) => a - b);
  if (finite.length === 0) return 0;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? (finite[mid] ?? 0) : ((finite[mid - 1] ?? 0) + (finite[mid] ?? 0)) / 2;
}

/** The default D of a collection: DEFAULT_D_SHARE_OF_MEDIAN of its median nearest-neighbour distance. */
export function defaultMaxDistance(graph: Pick<NeighbourGraph, 'nearest'>): number {
  return DEFAULT_D_SHARE_OF_MEDIAN * median(graph.nearest);
}

/** Disjoint sets over item ids, with path halving. */
class UnionFind {
  private readonly parent = new Map<number, number>();

  find(x: number): number {
    let node = x;
    for (;;) {
      const up = this.parent.get(node) ?? node;
      if (up === node) return node;
      const grand = this.parent.get(up) ?? up;
      this.parent.set(node, grand);
      node = grand;
    }
  }

  union(a: number, b: number): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(Math.max(ra, rb), Math.min(ra, rb));
  }
}

/** What grouping needs besides the graph: pairwise distance and whether two items' inputs are identical. */
export interface GroupingMeasures {
  distance(a: number, b: number): number;
  sameInput(a: number, b: number): boolean;
}

/**
 * The groups of items joined by edges of at most `maxDistance`, closest (smallest diameter) first, ties
 * by their first id. Single linkage can chain items whose ends are farther apart than D; the diameter
 * reports that honestly.
 */
export function groupDuplicates(
  graph: Pick<NeighbourGraph, 'edges'>,
  maxDistance: number,
  measures: GroupingMeasures,
): DuplicateGroup[] {
  const sets = new UnionFind();
  for (const edge of graph.edges) if (edge.distance <= maxDistance) sets.union(edge.a, edge.b);
  const members = new Map<number, Set<number>>();
  for (const edge of graph.edges) {
    if (edge.distance > maxDistance) continue;
    const root = sets.find(edge.a);
    const set = members.get(root) ?? new Set<number>();
    set.add(edge.a).add(edge.b);
    members.set(root, set);
  }
  const groups = [...members.values()].map((set) =>
    describeGroup(
      [...set].sort((x, y) => x - y),
      measures,
    ),
  );
  return groups.sort((x, y) => x.distance - y.distance || (x.ids[0] ?? 0) - (y.ids[0] ?? 0));
}

function describeGroup(ids: number[], measures: GroupingMeasures): DuplicateGroup {
  let distance = 0;
  let exact = true;
  for (let i = 0; i < ids.length; i++) {
    const a = ids[i] ?? 0;
    if (i > 0) exact &&= measures.sameInput(ids[0] ?? 0, a);
    for (let j = i + 1; j < ids.length; j++) distance = Math.max(distance, measures.distance(a, ids[j] ?? 0));
  }
  return { ids, distance, exact };
}
