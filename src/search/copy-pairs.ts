/**
 * Which candidate pairs are copies, pure: given candidate pairs and a copy score (copy-check.ts), a pair
 * is a copy when
 *
 * 1. its score reaches the floor (what edited copies reach: the score is a correlation after alignment,
 *    so it does not depend on the collection's brightness or contrast), and
 * 2. it stands out among each item's other candidates (a ratio test, as in SIFT matching): its residual
 *    1 - score is at most `ratio` times that of any other candidate of either item, unless that other
 *    candidate is itself a match of the pair's other item above the floor (a third copy of the picture).
 *
 * The ratio test calibrates the decision to the collection, item by item, from the scores of the item's
 * natural neighbours: where they crowd (plain T-shirts of one cut, in 60,000 Fashion-MNIST items) a pair
 * must beat them by a wide margin; where they are far, the floor decides.
 */

/** Two items (a < b) worth checking, and the correlation of their probe vectors (the best of their probes). */
export interface CandidatePair {
  readonly a: number;
  readonly b: number;
  readonly probe: number;
}

/** Two items (a < b) judged copies, with their copy score. */
export interface CopyPair {
  readonly a: number;
  readonly b: number;
  readonly score: number;
}

/** The decision's thresholds. */
export interface CopyRule {
  /** Least copy score of a copy. */
  readonly floor: number;
  /** Largest residual (1 - score) of a copy as a share of a rival's. */
  readonly ratio: number;
  /** Candidates whose probe correlation is below this are not scored (too unlike to be copies or rivals). */
  readonly minProbe: number;
}

/**
 * The rule measured on planted copies (JPEG quality 50, resize 0.5-2x, crop <= 5%, brightness +-10%) in
 * Fashion-MNIST collections of 360, 2,250 and 60,600 items: README, "Near-duplicates".
 */
export const DEFAULT_COPY_RULE: CopyRule = Object.freeze({ floor: 0.998, ratio: 0.2, minProbe: 0.975 });

/** Scores pairs of item ids (a copy score, symmetric), called at most once per pair. */
export type PairScorer = (a: number, b: number) => number;

/** Called every so many scores, so a caller can yield to its event loop. */
export type Pause = () => Promise<void>;

/** Scores computed between pauses. */
const SCORES_PER_PAUSE = 200;

const keyOf = (a: number, b: number) => (a < b ? `${a}:${b}` : `${b}:${a}`);

/** A memo of `score` that pauses every SCORES_PER_PAUSE fresh scores. */
class ScoreMemo {
  private readonly known = new Map<string, number>();
  private fresh = 0;

  constructor(
    private readonly score: PairScorer,
    private readonly pause: Pause | undefined,
  ) {}

  async get(a: number, b: number): Promise<number> {
    const key = keyOf(a, b);
    let s = this.known.get(key);
    if (s === undefined) {
      s = this.score(Math.min(a, b), Math.max(a, b));
      this.known.set(key, s);
      if (++this.fresh % SCORES_PER_PAUSE === 0) await this.pause?.();
    }
    return s;
  }
}

/**
 * Whether a pair (x, y) of score `s` stands out among x's rivals (`rivals`: x's scored candidates, best
 * first): each rival c other than y must leave a residual 1 - score(x, c) at least 1 / ratio times the
 * pair's, unless c is a match of y above the floor as well.
 */
async function standsOut(
  y: number,
  s: number,
  rivals: readonly { id: number; score: number }[],
  memo: ScoreMemo,
  ratio: number,
  floor: number,
): Promise<boolean> {
  for (const rival of rivals) {
    if (rival.id === y) continue;
    if (1 - s <= ratio * (1 - rival.score)) return true; // the rest are worse rivals still
    if ((await memo.get(y, rival.id)) < floor) return false;
  }
  return true;
}

/**
 * The candidate pairs that are copies under `rule` (see the module comment), in the candidates' order.
 * `score` is called for each candidate with a probe correlation of at least rule.minProbe, and for a few
 * more pairs (rivals checked against the other item).
 */
export async function decideCopyPairs(
  candidates: readonly CandidatePair[],
  score: PairScorer,
  rule: CopyRule = DEFAULT_COPY_RULE,
  pause?: Pause,
): Promise<CopyPair[]> {
  const memo = new ScoreMemo(score, pause);
  const rivals = new Map<number, { id: number; score: number }[]>();
  const scored: CopyPair[] = [];
  for (const { a, b, probe } of candidates) {
    if (a === b || probe < rule.minProbe) continue;
    const s = await memo.get(a, b);
    scored.push({ a: Math.min(a, b), b: Math.max(a, b), score: s });
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = rivals.get(x) ?? [];
      list.push({ id: y, score: s });
      rivals.set(x, list);
    }
  }
  for (const list of rivals.values()) list.sort((p, q) => q.score - p.score);
  const { floor, ratio } = rule;
  const pairs: CopyPair[] = [];
  const seen = new Set<string>();
  for (const pair of scored) {
    const key = keyOf(pair.a, pair.b);
    if (pair.score < floor || seen.has(key)) continue;
    seen.add(key);
    if (
      (await standsOut(pair.b, pair.score, rivals.get(pair.a) ?? [], memo, ratio, floor)) &&
      (await standsOut(pair.a, pair.score, rivals.get(pair.b) ?? [], memo, ratio, floor))
    )
      pairs.push(pair);
  }
  return pairs;
}
