/** A small seeded PRNG (mulberry32) for shuffles, splits and noise that must repeat exactly. */

/** Returns a function giving uniform floats in [0, 1) from a 32-bit seed. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Shuffles `items` in place (Fisher-Yates) with `rng`, and returns it. */
export function shuffleInPlace<T>(items: T[] | Int32Array | Uint32Array, rng: () => number): typeof items {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = items[i] as T;
    items[i] = items[j] as T & number;
    items[j] = t as T & number;
  }
  return items;
}

/** A standard normal draw (Box-Muller) from two uniforms of `rng`. */
export function gaussian(rng: () => number): number {
  // 1 - u keeps log away from 0
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}
