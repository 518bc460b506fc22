/**
 * The copy decision on hand-made score tables: the floor, the ratio test at either end, a third copy of
 * the same picture not counting as a rival, the probe cut, and each pair scored once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CandidatePair, DEFAULT_COPY_RULE, decideCopyPairs } from '../../src/search/copy-pairs.js';

const rule = { floor: 0.998, ratio: 0.35, minProbe: 0.9 };

/** A scorer from a table of "a:b" (a < b) scores (0 for pairs not in it) that counts its calls. */
function table(scores: Record<string, number>) {
  const calls: string[] = [];
  const score = (a: number, b: number) => {
    calls.push(`${a}:${b}`);
    return scores[`${a}:${b}`] ?? 0;
  };
  return { score, calls };
}

const candidate = (a: number, b: number, probe = 0.95): CandidatePair => ({ a, b, probe });
const ids = (pairs: { a: number; b: number }[]) => pairs.map(({ a, b }) => `${a}:${b}`);

describe('decideCopyPairs', () => {
  it('takes pairs that reach the floor and stand out, and leaves those below the floor', async () => {
    const { score } = table({ '1:2': 0.9995, '1:3': 0.99, '4:5': 0.997 });
    const copies = await decideCopyPairs([candidate(1, 2), candidate(1, 3), candidate(4, 5)], score, rule);
    assert.deepEqual(ids(copies), ['1:2']);
    assert.equal(copies[0]?.score, 0.9995);
  });

  it('leaves a pair that a rival of either item comes close to', async () => {
    // 1:2 leaves 0.001; item 1's rival 3 leaves 0.002 (ratio 0.5 > 0.35): not a copy.
    const near = table({ '1:2': 0.999, '1:3': 0.998 });
    assert.deepEqual(ids(await decideCopyPairs([candidate(1, 2), candidate(1, 3)], near.score, rule)), []);
    // The same rival at item 2's end.
    const other = table({ '1:2': 0.999, '2:3': 0.998 });
    assert.deepEqual(ids(await decideCopyPairs([candidate(1, 2), candidate(2, 3)], other.score, rule)), []);
    // A rival leaving 0.003 (ratio 0.33) lets it through.
    const far = table({ '1:2': 0.999, '1:3': 0.997 });
    assert.deepEqual(ids(await decideCopyPairs([candidate(1, 2), candidate(1, 3)], far.score, rule)), [
      '1:2',
    ]);
  });

  it('does not count a third copy of the same picture as a rival', async () => {
    const { score } = table({ '1:2': 0.9995, '1:3': 0.9994, '2:3': 0.9993 });
    const copies = await decideCopyPairs([candidate(1, 2), candidate(1, 3), candidate(2, 3)], score, rule);
    assert.deepEqual(ids(copies), ['1:2', '1:3', '2:3']);
  });

  it('checks a rival against the other item even when that pair was no candidate', async () => {
    // 3 is close to 1 but not a copy of 2 (2:3 is not in the candidates, and scores 0.99 when asked).
    const { score, calls } = table({ '1:2': 0.9995, '1:3': 0.9993, '2:3': 0.99 });
    assert.deepEqual(ids(await decideCopyPairs([candidate(1, 2), candidate(1, 3)], score, rule)), []);
    assert.ok(calls.includes('2:3'));
  });

  it('scores each candidate once, and none below the probe cut', async () => {
    const { score, calls } = table({ '1:2': 0.9995, '3:4': 0.9999 });
    const copies = await decideCopyPairs(
      [candidate(2, 1), candidate(1, 2), candidate(3, 4, 0.5)],
      score,
      rule,
    );
    assert.deepEqual(ids(copies), ['1:2']);
    assert.deepEqual(calls, ['1:2']);
  });

  it('has a default rule with a floor, a ratio and a probe cut in range', () => {
    const r = DEFAULT_COPY_RULE;
    assert.ok(r.floor > 0.99 && r.floor < 1 && r.minProbe < r.floor);
    assert.ok(r.ratio > 0 && r.ratio < 1);
  });
});
