/**
 * Top-k selection without sorting whole rows: a bounded max-heap per row, ordered by (value, index) so
 * ties always go to the lower index and results repeat exactly. Pure.
 */

/** The k smallest entries of one row, nearest first: column indices and their values. */
export interface Selection {
  readonly ids: Int32Array;
  readonly values: Float64Array;
}

/** True when (va, ia) sorts after (vb, ib): larger value, or the same value and larger index. */
function after(va: number, ia: number, vb: number, ib: number): boolean {
  return va > vb || (va === vb && ia > ib);
}

function siftDown(vals: Float64Array, ids: Int32Array, size: number, from: number): void {
  let i = from;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= size) return;
    const r = l + 1;
    let big = l;
    if (r < size && after(vals[r] ?? 0, ids[r] ?? 0, vals[l] ?? 0, ids[l] ?? 0)) big = r;
    if (!after(vals[big] ?? 0, ids[big] ?? 0, vals[i] ?? 0, ids[i] ?? 0)) return;
    swap(vals, ids, i, big);
    i = big;
  }
}

function siftUp(vals: Float64Array, ids: Int32Array, from: number): void {
  let i = from;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!after(vals[i] ?? 0, ids[i] ?? 0, vals[p] ?? 0, ids[p] ?? 0)) return;
    swap(vals, ids, i, p);
    i = p;
  }
}

function swap(vals: Float64Array, ids: Int32Array, a: number, b: number): void {
  const v = vals[a] ?? 0;
  vals[a] = vals[b] ?? 0;
  vals[b] = v;
  const t = ids[a] ?? 0;
  ids[a] = ids[b] ?? 0;
  ids[b] = t;
}

/**
 * Selects the k smallest of `row[offset .. offset + length)` (k clamped to length): column indices
 * (0-based within the range) and values, ascending by (value, index). O(length + hits · log k); NaN
 * counts as +Infinity.
 */
export function selectSmallest(
  row: ArrayLike<number>,
  k: number,
  offset = 0,
  length = row.length - offset,
): Selection {
  const typed = row instanceof Float32Array || row instanceof Float64Array ? row : Float64Array.from(row);
  return selectTyped(typed, k, offset, length);
}

// One typed-array loop (kept monomorphic for the hot path, Float32Array scores).
function selectTyped(row: Float32Array | Float64Array, k: number, offset: number, length: number): Selection {
  const size = Math.max(0, Math.min(k, length));
  const vals = new Float64Array(size);
  const ids = new Int32Array(size);
  let j = 0;
  for (; j < size; j++) {
    const v = row[offset + j] as number;
    vals[j] = Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
    ids[j] = j;
    siftUp(vals, ids, j);
  }
  // Columns arrive in ascending order, so a newcomer beats the worst kept entry only when strictly
  // smaller: ties keep the lower index, and NaN never passes.
  let worst = size > 0 ? (vals[0] as number) : Number.NEGATIVE_INFINITY;
  const end = offset + length;
  for (let at = offset + j; at < end; at++) {
    const v = row[at] as number;
    if (!(v < worst)) continue;
    vals[0] = v;
    ids[0] = at - offset;
    siftDown(vals, ids, size, 0);
    worst = vals[0] as number;
  }
  return sortSelection(vals, ids);
}

/** Sorts a selection ascending by (value, id). */
export function sortSelection(vals: Float64Array, ids: Int32Array): Selection {
  const order = Array.from({ length: vals.length }, (_, i) => i).sort(
    (a, b) => (vals[a] ?? 0) - (vals[b] ?? 0) || (ids[a] ?? 0) - (ids[b] ?? 0),
  );
  return {
    ids: Int32Array.from(order, (i) => ids[i] ?? 0),
    values: Float64Array.from(order, (i) => vals[i] ?? 0),
  };
}
