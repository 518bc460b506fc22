/** The seeded generator and the gaussian draw that training noise and the eval's noise share. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng, gaussian } from '../../src/util/rng.js';

describe('gaussian', () => {
  it('draws standard normal values: mean 0, sd 1, repeating for a seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 20_000 }, () => gaussian(rng));
    };
    const values = draw(5);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
    assert.ok(Math.abs(mean) < 0.03, `mean ${mean}`);
    assert.ok(Math.abs(sd - 1) < 0.03, `sd ${sd}`);
    assert.ok(values.every(Number.isFinite));
    assert.deepEqual(draw(5).slice(0, 10), values.slice(0, 10));
    assert.notDeepEqual(draw(6).slice(0, 10), values.slice(0, 10));
  });

  it('uses two uniforms per draw: Box-Muller of (1 - u, v)', () => {
    const uniforms = createRng(3);
    const [u, v] = [uniforms(), uniforms()];
    const expected = Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
    assert.equal(gaussian(createRng(3)), expected);
  });
});
