/**
 * Near-duplicate grouping, pure: from the pairs judged copies (copy-pairs.ts) with their distance in code
 * space, the groups of items linked by pairs within a distance D (single linkage, by union-find), each
 * measured by its diameter in code space, closest first; and the default D derived from the pairs.
 */

/** Pairs of items to group. */
export interface NeighbourGraph {
  /** Pairs (a < b) with their distance in code space. */
  readonly edges: readonly NeighbourEdge[];
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
 * The default D of a collection: the largest code distance of its copy pairs (0 when there are none),
 * so that by default every pair the copy check accepts is grouped; a smaller D keeps the closer ones.
 */
export function defaultMaxDistance(graph: NeighbourGraph): number {
  let d = 0;
  for (const edge of graph.edges) if (Number.isFinite(edge.distance)) d = Math.max(d, edge.distance);
  return d;
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
  graph: NeighbourGraph,
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
