import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { backpropFilterStrategy } from '../../src/tfjs/kernels/conv2d-backprop-filter.js';
import { registerWasmKernels, unregisterWasmKernels } from '../../src/tfjs/kernels/index.js';

const REL_TOL = 1e-4;

/** Deterministic pseudo-random values in [-1, 1) (mulberry32), so failures reproduce. */
function randomValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

interface Result {
  shape: number[];
  values: Float32Array;
}

/** Runs `f` on `backend` and copies its outputs out before switching away. */
async function runOn(backend: 'cpu' | 'wasm', f: () => tf.Tensor | tf.Tensor[]): Promise<Result[]> {
  assert.ok(await tf.setBackend(backend), `backend ${backend} did not initialise`);
  return tf.tidy(() => {
    const out = f();
    return (Array.isArray(out) ? out : [out]).map((t) => ({
      shape: t.shape,
      values: t.dataSync() as Float32Array,
    }));
  });
}

function assertClose(actual: Result, expected: Result, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.values.length; i++) {
    const a = actual.values[i] ?? Number.NaN;
    const b = expected.values[i] ?? Number.NaN;
    const excess = Math.abs(a - b) / Math.max(1, Math.abs(b));
    if (!(excess <= worst)) {
      worst = excess;
      worstAt = i;
    }
  }
  assert.ok(
    worst <= REL_TOL,
    `${label}: element ${worstAt} is ${actual.values[worstAt]} on wasm but ${expected.values[worstAt]} on cpu`,
  );
}

/** Compares `f` on wasm (with aesearch's kernels) against the cpu backend. */
async function assertSameAsCpu(label: string, f: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const expected = await runOn('cpu', f);
  const actual = await runOn('wasm', f);
  assert.equal(actual.length, expected.length);
  for (const [i, e] of expected.entries()) assertClose(actual[i] as Result, e, `${label} [output ${i}]`);
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.tensor(
    randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    shape,
  );
}

function wasmDataIds(): number {
  return (tf.findBackend('wasm') as unknown as { numDataIds(): number }).numDataIds();
}

before(async () => {
  registerWasmKernels();
  assert.ok(await tf.setBackend('wasm'), 'backend wasm did not initialise');
});

after(async () => {
  await tf.setBackend('cpu');
});

describe('registerWasmKernels', () => {
  test('replaces the slow kernels, adds Conv2DBackpropFilter, and is idempotent', () => {
    const first = registerWasmKernels();
    const funcs = first.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
    const second = registerWasmKernels();
    assert.deepEqual(second, first);
    assert.deepEqual(
      second.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc),
      funcs,
    );
    for (const name of [
      'BatchMatMul',
      '_FusedMatMul',
      'Conv2DBackpropInput',
      'Conv2DBackpropFilter',
      'MaxPoolGrad',
    ]) {
      assert.ok(first.includes(name), `${name} should be registered`);
    }
  });

  test('unregisterWasmKernels restores the stock kernels and registering again works', () => {
    const restored = unregisterWasmKernels();
    assert.ok(restored.includes('BatchMatMul'));
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
    const again = registerWasmKernels();
    assert.ok(again.includes('Conv2DBackpropFilter'));
    assert.notEqual(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined);
  });
});

describe('BatchMatMul', () => {
  const cases: Array<[number, number, number]> = [
    [5, 7, 3],
    [37, 65, 19],
    [64, 100, 48],
    [1, 9, 4],
    [6, 1, 5],
    // Few rows and many columns: cheaper to compute the transposed product and transpose it back.
    [8, 200, 150],
  ];
  for (const [m, k, n] of cases) {
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        test(`${m}x${k} @ ${k}x${n} transposeA=${ta} transposeB=${tb}`, async () => {
          await assertSameAsCpu('matMul', () =>
            tf.matMul(rand(ta ? [k, m] : [m, k], m + k), rand(tb ? [n, k] : [k, n], n + 1), ta, tb),
          );
        });
      }
    }
  }

  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    test(`batched 3x(17x23 @ 23x29) transposeA=${ta} transposeB=${tb}`, async () => {
      await assertSameAsCpu('batched', () =>
        tf.matMul(rand(ta ? [3, 23, 17] : [3, 17, 23], 1), rand(tb ? [3, 29, 23] : [3, 23, 29], 2), ta, tb),
      );
    });
  }

  // tfjs (cpu included) broadcasts outer dimensions only when one side's batch is 1.
  test('batched with a broadcast operand', async () => {
    await assertSameAsCpu('a broadcast', () => tf.matMul(rand([1, 21, 17], 3), rand([3, 17, 19], 4)));
    await assertSameAsCpu('b broadcast', () =>
      tf.matMul(rand([2, 3, 17, 21], 3), rand([19, 17], 4), true, true),
    );
    await assertSameAsCpu('tiny', () => tf.matMul(rand([7, 5], 5), rand([3, 4, 7], 6), true, true));
  });

  test('matMul gradients (dense backprop) match cpu', async () => {
    await assertSameAsCpu('grads', () => {
      const f = (a: tf.Tensor, b: tf.Tensor) => tf.matMul(a, b).square().sum();
      return tf.grads(f)([rand([33, 45], 7), rand([45, 21], 8)]);
    });
  });
});

describe('_FusedMatMul', () => {
  for (const [ta, tb] of [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ] as const) {
    test(`bias + relu, transposeA=${ta} transposeB=${tb}`, async () => {
      await assertSameAsCpu('fused', () =>
        tf.fused.matMul({
          a: rand(ta ? [31, 13] : [13, 31], 9),
          b: rand(tb ? [11, 31] : [31, 11], 10),
          transposeA: ta,
          transposeB: tb,
          bias: rand([11], 11),
          activation: 'relu',
        }),
      );
    });
  }
});

interface ConvCase {
  batch: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  f: [number, number];
  stride: number;
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}

/** tfjs's explicit padding of an NHWC input: rows above and below, columns left and right. */
function padBy(top: number, bottom: number, left: number, right: number): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

const CONV_CASES: ConvCase[] = [];
for (const stride of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    CONV_CASES.push({ batch: 3, h: 9, w: 7, cin: 2, cout: 5, f: [3, 3], stride, pad });
    CONV_CASES.push({ batch: 5, h: 8, w: 8, cin: 3, cout: 4, f: [2, 2], stride, pad });
  }
}
CONV_CASES.push({ batch: 2, h: 10, w: 11, cin: 4, cout: 3, f: [5, 3], stride: 2, pad: 'same' });
CONV_CASES.push({ batch: 3, h: 6, w: 6, cin: 2, cout: 3, f: [1, 1], stride: 2, pad: 'valid' });
CONV_CASES.push({ batch: 2, h: 7, w: 8, cin: 3, cout: 2, f: [3, 2], stride: 3, pad: 'same' });
CONV_CASES.push({ batch: 3, h: 7, w: 9, cin: 2, cout: 3, f: [3, 3], stride: 2, pad: padBy(2, 0, 1, 3) });
CONV_CASES.push({ batch: 2, h: 6, w: 6, cin: 2, cout: 2, f: [2, 2], stride: 1, pad: padBy(3, 1, 0, 2) });

CONV_CASES.push({ batch: 3, h: 9, w: 7, cin: 4, cout: 1, f: [3, 3], stride: 1, pad: 'same' });
CONV_CASES.push({ batch: 3, h: 9, w: 7, cin: 5, cout: 1, f: [3, 3], stride: 2, pad: 'same' });
CONV_CASES.push({ batch: 5, h: 8, w: 9, cin: 6, cout: 1, f: [2, 3], stride: 2, pad: 'valid' });
CONV_CASES.push({ batch: 3, h: 9, w: 7, cin: 1, cout: 6, f: [3, 3], stride: 2, pad: 'same' });
CONV_CASES.push({ batch: 3, h: 9, w: 7, cin: 16, cout: 1, f: [3, 3], stride: 2, pad: 'same' });
CONV_CASES.push({ batch: 2, h: 8, w: 9, cin: 16, cout: 1, f: [2, 3], stride: 2, pad: 'valid' });
CONV_CASES.push({ batch: 3, h: 7, w: 8, cin: 12, cout: 1, f: [3, 3], stride: 2, pad: padBy(2, 1, 0, 3) });

CONV_CASES.push({ batch: 3, h: 9, w: 7, cin: 8, cout: 9, f: [3, 3], stride: 2, pad: 'same' });
CONV_CASES.push({ batch: 2, h: 8, w: 8, cin: 8, cout: 8, f: [3, 3], stride: 2, pad: 'valid' });
CONV_CASES.push({ batch: 5, h: 7, w: 6, cin: 10, cout: 8, f: [3, 3], stride: 1, pad: 'same' });
// More pixels than one im2col chunk (1024), with a partial last chunk.
CONV_CASES.push({ batch: 5, h: 17, w: 15, cin: 1, cout: 3, f: [3, 3], stride: 1, pad: 'same' });
CONV_CASES.push({ batch: 3, h: 19, w: 21, cin: 9, cout: 1, f: [3, 3], stride: 2, pad: 'same' });

function strategyOf(c: ConvCase): string {
  const info = tf.backend_util.computeConv2DInfo(
    [c.batch, c.h, c.w, c.cin],
    [...c.f, c.cin, c.cout],
    c.stride,
    1,
    c.pad,
  );
  return backpropFilterStrategy(info);
}

function describeCase(c: ConvCase): string {
  const pad = typeof c.pad === 'string' ? c.pad : JSON.stringify(c.pad.slice(1, 3));
  return `n=${c.batch} ${c.h}x${c.w}x${c.cin}->${c.cout} filter ${c.f.join('x')} stride ${c.stride} pad ${pad}`;
}

describe('Conv2DBackpropFilter and Conv2DBackpropInput', () => {
  test('the cases below exercise every filter-gradient strategy', () => {
    const used = new Set(CONV_CASES.map(strategyOf));
    assert.deepEqual([...used].sort(), ['conv', 'patches', 'shiftedDy']);
  });

  for (const c of CONV_CASES) {
    test(`conv2d gradients, ${describeCase(c)} (${strategyOf(c)})`, async () => {
      await assertSameAsCpu('conv2d grads', () => {
        const x = rand([c.batch, c.h, c.w, c.cin], c.h * 10 + c.w) as tf.Tensor4D;
        const filter = rand([...c.f, c.cin, c.cout], c.cout + 20) as tf.Tensor4D;
        const y = tf.conv2d(x, filter, c.stride, c.pad);
        const dy = rand(y.shape, 99);
        return tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf
            .conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad)
            .mul(dy)
            .sum(),
        )([x, filter]);
      });
    });
  }

  for (const pad of ['same', 'valid'] as const) {
    for (const stride of [1, 2]) {
      test(`conv2dTranspose forward and gradients, stride ${stride} pad ${pad}`, async () => {
        await assertSameAsCpu('conv2dTranspose', () => {
          const x = rand([3, 5, 4, 6], 31) as tf.Tensor4D;
          const filter = rand([3, 3, 2, 6], 32) as tf.Tensor4D;
          const outH = pad === 'same' ? 5 * stride : (5 - 1) * stride + 3;
          const outW = pad === 'same' ? 4 * stride : (4 - 1) * stride + 3;
          const shape: [number, number, number, number] = [3, outH, outW, 2];
          const f = (a: tf.Tensor, b: tf.Tensor) =>
            tf.conv2dTranspose(a as tf.Tensor4D, b as tf.Tensor4D, shape, stride, pad);
          const y = f(x, filter);
          const dy = rand(y.shape, 33);
          return [y, ...tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a, b).mul(dy).sum())([x, filter])];
        });
      });
    }
  }

  test('a tiny conv2d + conv2dTranspose model gets the same weight gradients on wasm as on cpu', async () => {
    const grads = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [9, 9, 1], filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
          tf.layers.conv2dTranspose({
            filters: 1,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'sigmoid',
          }),
          tf.layers.cropping2D({
            cropping: [
              [0, 1],
              [0, 1],
            ],
          }),
        ],
      });
      model.weights.forEach((w, i) => {
        w.write(rand(w.shape as number[], 40 + i));
      });
      const x = rand([5, 9, 9, 1], 50);
      const { grads: g } = tf.variableGrads(() =>
        tf.losses.meanSquaredError(x, model.predict(x) as tf.Tensor),
      );
      const out = model.weights.map((w) => {
        const t = g[w.originalName] ?? g[w.name];
        assert.ok(t, `no gradient for ${w.name}`);
        return { shape: t.shape, values: t.dataSync() as Float32Array };
      });
      tf.dispose([x, ...Object.values(g)]);
      model.layers.forEach((l) => {
        l.dispose();
      });
      return out;
    };
    const expected = await grads('cpu');
    const actual = await grads('wasm');
    assert.equal(actual.length, 4);
    for (const [i, e] of expected.entries()) assertClose(actual[i] as Result, e, `weight ${i}`);
  });
});

describe('MaxPoolGrad', () => {
  const pools: Array<{ shape: number[]; size: [number, number]; stride: number; pad: 'same' | 'valid' }> = [
    { shape: [3, 8, 8, 5], size: [2, 2], stride: 2, pad: 'valid' },
    { shape: [5, 9, 7, 3], size: [2, 2], stride: 2, pad: 'same' },
    { shape: [3, 9, 7, 4], size: [3, 3], stride: 2, pad: 'same' },
    { shape: [2, 7, 9, 3], size: [3, 2], stride: 1, pad: 'valid' },
  ];
  for (const p of pools) {
    test(`maxPool gradient, x [${p.shape}] window ${p.size.join('x')} stride ${p.stride} pad ${p.pad}`, async () => {
      await assertSameAsCpu('maxPool grad', () => {
        const x = rand(p.shape, 61) as tf.Tensor4D;
        const y = tf.maxPool(x, p.size, p.stride, p.pad);
        const dy = rand(y.shape, 62);
        return tf.grad((a: tf.Tensor) =>
          tf
            .maxPool(a as tf.Tensor4D, p.size, p.stride, p.pad)
            .mul(dy)
            .sum(),
        )(x);
      });
    });
  }

  test('ties send the gradient to the first maximum only, as on cpu', async () => {
    await assertSameAsCpu('ties', () => {
      const x = tf.tensor4d([3, 3, 1, 1, 3, 0, 1, 1], [1, 2, 4, 1]);
      return tf.grad((a: tf.Tensor) =>
        tf
          .maxPool(a as tf.Tensor4D, 2, 2, 'valid')
          .mul(tf.tensor([3, 5], [1, 1, 2, 1]))
          .sum(),
      )(x);
    });
  });
});

describe('no leaks', () => {
  test('kernels free every intermediate tensor', async () => {
    await tf.setBackend('wasm');
    const x = rand([3, 9, 7, 2], 1) as tf.Tensor4D;
    const filter = rand([3, 3, 2, 4], 2) as tf.Tensor4D;
    const a = rand([3, 17, 23], 3);
    const b = rand([3, 29, 23], 4);
    const wideX = rand([2, 9, 9, 8], 5) as tf.Tensor4D;
    const wideFilter = rand([3, 3, 8, 8], 6) as tf.Tensor4D;
    const narrowFilter = rand([3, 3, 8, 1], 7) as tf.Tensor4D;
    const run = () =>
      tf.tidy(() => {
        const g = tf.grads((p: tf.Tensor, q: tf.Tensor) =>
          tf.conv2d(p as tf.Tensor4D, q as tf.Tensor4D, 2, 'same').sum(),
        )([x, filter]);
        const t = tf.conv2dTranspose(
          x,
          filter.transpose([0, 1, 3, 2]) as tf.Tensor4D,
          [3, 18, 14, 4],
          2,
          'same',
        );
        const m = tf.matMul(a, b, false, true);
        const m2 = tf.matMul(rand([40, 30], 5), rand([20, 40], 6), true, true);
        const f = tf.fused.matMul({
          a: rand([30, 40], 7),
          b: rand([20, 30], 8),
          transposeA: true,
          transposeB: true,
        });
        const p = tf.grad((q: tf.Tensor) => tf.maxPool(q as tf.Tensor4D, 2, 2, 'same').sum())(x);
        // One filter gradient per strategy: patches (above), dilated-filter convolution, shifted dy.
        const wide = tf.grad((q: tf.Tensor) => tf.conv2d(wideX, q as tf.Tensor4D, 2, 'same').sum())(
          wideFilter,
        );
        const narrow = tf.grad((q: tf.Tensor) => tf.conv2d(wideX, q as tf.Tensor4D, 1, 'same').sum())(
          narrowFilter,
        );
        const parts = [
          g[0]?.sum() ?? tf.scalar(0),
          g[1]?.sum() ?? tf.scalar(0),
          t.sum(),
          m.sum(),
          m2.sum(),
          f.sum(),
        ];
        return tf.addN([...parts, p.sum(), wide.sum(), narrow.sum()]);
      });
    run().dispose();
    const tensors = tf.memory().numTensors;
    const dataIds = wasmDataIds();
    for (let i = 0; i < 3; i++) run().dispose();
    assert.equal(tf.memory().numTensors, tensors);
    assert.equal(wasmDataIds(), dataIds);
    tf.dispose([x, filter, a, b, wideX, wideFilter, narrowFilter]);
  });
});
