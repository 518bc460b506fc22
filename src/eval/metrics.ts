/**
 * Retrieval metrics over kNN results, with relevance = same label as the query. Pure.
 * Every metric is a mean over queries, in [0, 1].
 */

/** Neighbour ids per query: `count` rows of `k` database ids, nearest first. */
export interface Ranking {
  readonly k: number;
  readonly count: number;
  readonly ids: Int32Array;
}

function checkDepth(ranking: Ranking, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > ranking.k)
    throw new RangeError(`Expected k from 1 to ${ranking.k} (the neighbours searched) but got ${k}`);
}

/**
 * The mean over queries of `score(label, labelAt)`: `label` is the query's, `labelAt(i)` the label of its
 * i-th nearest neighbour (i < k). Throws RangeError when k exceeds the neighbours searched.
 */
function meanOverQueries(
  ranking: Ranking,
  queryLabels: ArrayLike<number>,
  dbLabels: ArrayLike<number>,
  k: number,
  score: (label: number | undefined, labelAt: (i: number) => number | undefined) => number,
): number {
  checkDepth(ranking, k);
  if (ranking.count === 0) return 0;
  let total = 0;
  for (let q = 0; q < ranking.count; q++) {
    const row = q * ranking.k;
    total += score(queryLabels[q], (i) => dbLabels[ranking.ids[row + i] ?? -1]);
  }
  return total / ranking.count;
}

/**
 * Label precision@k: the mean over queries of the share of the top k neighbours whose label equals
 * the query's. Throws RangeError when k exceeds the neighbours searched.
 */
export function precisionAtK(
  ranking: Ranking,
  queryLabels: ArrayLike<number>,
  dbLabels: ArrayLike<number>,
  k: number,
): number {
  return meanOverQueries(ranking, queryLabels, dbLabels, k, (label, labelAt) => {
    let hits = 0;
    for (let i = 0; i < k; i++) if (labelAt(i) === label) hits++;
    return hits / k;
  });
}

/** How many database items carry each label (index = label). */
export function labelCounts(labels: ArrayLike<number>): number[] {
  const counts: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i] ?? 0;
    counts[l] = (counts[l] ?? 0) + 1;
  }
  return counts;
}

/**
 * mAP@k: the mean over queries of the average precision over the top k,
 *
 *     AP@k = (1 / min(k, R)) · Σ_{i=1..k} P@i · rel_i
 *
 * where rel_i is 1 when neighbour i has the query's label, P@i is the precision of the first i
 * neighbours, and R is the number of database items with the query's label. The normaliser min(k, R)
 * is the most relevant items the top k can hold, so a perfect ranking scores 1; a query whose label
 * is absent from the database scores 0. (With Fashion-MNIST R is 6,000, so the normaliser is k.)
 */
export function meanAveragePrecisionAtK(
  ranking: Ranking,
  queryLabels: ArrayLike<number>,
  dbLabels: ArrayLike<number>,
  k: number,
): number {
  const counts = labelCounts(dbLabels);
  return meanOverQueries(ranking, queryLabels, dbLabels, k, (label, labelAt) => {
    const norm = Math.min(k, counts[label ?? -1] ?? 0);
    if (norm === 0) return 0;
    let hits = 0;
    let sum = 0;
    for (let i = 0; i < k; i++) {
      if (labelAt(i) !== label) continue;
      hits++;
      sum += hits / (i + 1);
    }
    return sum / norm;
  });
}

/**
 * kNN classification accuracy: the share of queries whose label wins the vote of their k nearest
 * neighbours, one vote each. A tie goes to the tied label whose first vote came first (the nearest
 * neighbour among the tied labels). Throws RangeError when k exceeds the neighbours searched.
 */
export function knnAccuracy(
  ranking: Ranking,
  queryLabels: ArrayLike<number>,
  dbLabels: ArrayLike<number>,
  k: number,
): number {
  const votes = new Map<number | undefined, number>();
  return meanOverQueries(ranking, queryLabels, dbLabels, k, (label, labelAt) => {
    votes.clear();
    let most = 0;
    for (let i = 0; i < k; i++) {
      const count = (votes.get(labelAt(i)) ?? 0) + 1;
      votes.set(labelAt(i), count);
      most = Math.max(most, count);
    }
    // the winner: among the labels with the most votes, the one whose first vote is nearest
    for (let i = 0; i < k; i++) if (votes.get(labelAt(i)) === most) return labelAt(i) === label ? 1 : 0;
    return 0;
  });
}

/** First index in sorted `values` whose value is ≥ `x` (values.length when none is). */
function lowerBound(values: Float32Array, x: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Average precision of one query over the whole database, from its score for every database item
 * (`scores[offset + i]` for item i, lower = nearer):
 *
 *     AP = (1 / R) · Σ_{i=1..N} P@i · rel_i
 *
 * where rel_i is 1 when the item at rank i has `label`, P@i is the precision of the first i, and R is
 * the number of database items with `label` (AP 0 when there are none). An item without the label that
 * ties with one with it ranks first. Needs only the ranks of the R relevant items: their scores sorted,
 * and for every other item a binary search, not a sort of all N.
 */
export function averagePrecisionAll(
  scores: Float32Array,
  label: number,
  dbLabels: ArrayLike<number>,
  offset = 0,
  skip = -1,
): number {
  const n = dbLabels.length;
  let relevant = 0;
  for (let i = 0; i < n; i++) if (dbLabels[i] === label && i !== skip) relevant++;
  if (relevant === 0) return 0;
  const rel = new Float32Array(relevant);
  for (let i = 0, j = 0; i < n; i++)
    if (dbLabels[i] === label && i !== skip) rel[j++] = scores[offset + i] ?? 0;
  rel.sort();
  // others[j]: items without the label ranked between relevant j - 1 and relevant j
  const others = new Int32Array(relevant + 1);
  for (let i = 0; i < n; i++) {
    if (dbLabels[i] !== label && i !== skip) {
      const at = lowerBound(rel, scores[offset + i] ?? 0);
      others[at] = (others[at] ?? 0) + 1;
    }
  }
  let above = 0;
  let sum = 0;
  for (let j = 0; j < relevant; j++) {
    above += others[j] ?? 0;
    sum += (j + 1) / (j + 1 + above);
  }
  return sum / relevant;
}

/**
 * Recall@k of an approximate ranking against the exact one: the mean over queries of the share of
 * the exact top k that the approximate top k contains.
 */
export function recallAtK(approx: Ranking, exact: Ranking, k: number): number {
  checkDepth(approx, k);
  checkDepth(exact, k);
  if (exact.count !== approx.count)
    throw new RangeError(`Expected rankings of the same queries but got ${approx.count} and ${exact.count}`);
  if (exact.count === 0) return 0;
  let found = 0;
  for (let q = 0; q < exact.count; q++) {
    const truth = new Set(exact.ids.subarray(q * exact.k, q * exact.k + k));
    for (let i = 0; i < k; i++) if (truth.has(approx.ids[q * approx.k + i] ?? -1)) found++;
  }
  return found / (exact.count * k);
}
