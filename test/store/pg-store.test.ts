/**
 * The PostgreSQL store against PGlite + pgvector over the wire protocol (or a real server when
 * AESEARCH_TEST_PG_URL is set), through `pg` as in production.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { isAesearchError } from '../../src/errors.js';
import { toUnitFloat } from '../../src/image/preprocess.js';
import type { ModelManifest } from '../../src/model/store.js';
import { PgStore } from '../../src/store/pg/pg-store.js';
import type { SpaceParams } from '../../src/store/pg/schema.js';
import type { PgNewItem } from '../../src/store/pg/writes.js';
import type { Metric } from '../../src/store/vector-index.js';
import { createRng } from '../../src/util/rng.js';
import { startPg, type TestPg } from '../helpers/pg.js';

const CODE_DIMS = 16;
const SIDE = 8;
// at 400 rows the planner rightly prefers a sequential scan of 16-d codes; by 1,000 it takes the index
const COUNT = 1000;
const LABELS = 8;
/** Labels a filtered search asks for: three quarters of the items. */
const ASKED = [0, 1, 2, 4, 5, 7];
const SPACES: SpaceParams = {
  codeDims: CODE_DIMS,
  pixelDims: SIDE * SIDE,
  metric: 'l2',
  m: 16,
  efConstruction: 64,
};
const rng = createRng(7);

function randomCode(): Float32Array {
  return Float32Array.from({ length: CODE_DIMS }, () => rng() * 2 - 1);
}

function newItem(n: number, code: Float32Array | null = randomCode()): PgNewItem {
  return {
    source: `random/${n}.png`,
    root: null,
    labelName: `label-${n % LABELS}`,
    bytes: 100 + n,
    sha256: `sha-${n}`,
    mtimeMs: null,
    input: Uint8Array.from({ length: SIDE * SIDE }, () => Math.floor(rng() * 256)),
    thumb: Uint8Array.from([n & 255, 1, 2]),
    thumbType: 'image/png',
    code,
  };
}

function distance(a: Float32Array, b: Float32Array, metric: Metric): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  let sq = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
    sq += (x - y) ** 2;
  }
  return metric === 'l2' ? Math.sqrt(sq) : 1 - dot / Math.sqrt(na * nb);
}

/** Exact top-k ids by brute force. */
function exactTop(
  vectors: Map<number, Float32Array>,
  query: Float32Array,
  k: number,
  metric: Metric,
): number[] {
  return [...vectors]
    .map(([id, v]) => ({ id, d: distance(query, v, metric) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map((x) => x.id);
}

/** Mean share of the exact top 10 that `search` returns over 30 queries. */
async function recall10(
  store: PgStore,
  space: 'code' | 'pixel',
  vectors: Map<number, Float32Array>,
  metric: Metric,
): Promise<number> {
  let hits = 0;
  const queries = 30;
  for (let q = 0; q < queries; q++) {
    const query = space === 'code' ? randomCode() : toUnitFloat(newItem(q).input);
    const exact = new Set(exactTop(vectors, query, 10, metric));
    const found = await store.search(space, query, 10, { efSearch: 40 });
    assert.equal(found.ids.length, 10);
    hits += found.ids.filter((id) => exact.has(id)).length;
  }
  return hits / (queries * 10);
}

/** Node names of every plan node in an EXPLAIN (FORMAT JSON) result. */
function indexNames(plan: unknown): string[] {
  const names: string[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (typeof o['Index Name'] === 'string') names.push(o['Index Name']);
      Object.values(o).forEach(walk);
    }
  };
  walk(plan);
  return names;
}

describe('PgStore (PostgreSQL + pgvector)', () => {
  let db: TestPg;
  let store: PgStore;
  const codes = new Map<number, Float32Array>();
  const pixels = new Map<number, Float32Array>();
  const labelOf = new Map<number, number>();

  before(async () => {
    db = await startPg();
  });
  after(async () => {
    await store?.close();
    await db?.close();
  });

  it('refuses to serve a store that `aesearch index` has not created, naming the way out', async () => {
    await assert.rejects(PgStore.open(db.url), (err) => {
      assert.ok(isAesearchError(err, 'STORE_SCHEMA'));
      assert.match(err.message, new RegExp(`store at ${db.host}/[^ ]+ has no aesearch schema`));
      assert.match(err.message, /run `aesearch index --store URL`/);
      return true;
    });
  });

  it('indexes items with codes and pixel vectors and searches both spaces with high recall', async () => {
    store = await PgStore.open(db.url, { migrate: SPACES });
    const items = Array.from({ length: COUNT }, (_, n) => newItem(n));
    const ids = await store.add(items);
    assert.equal(ids.length, COUNT);
    ids.forEach((id, i) => {
      const item = items[i];
      assert.ok(item?.code);
      codes.set(id, item.code);
      pixels.set(id, toUnitFloat(item.input));
      labelOf.set(id, i % LABELS);
    });
    await store.setCodes('model-a', []);
    assert.equal(await store.count(), COUNT);
    assert.deepEqual(
      await store.labelNames(),
      Array.from({ length: LABELS }, (_, i) => `label-${i}`),
    );
    const first = ids[0] ?? -1;
    assert.deepEqual(await store.code(first), codes.get(first));
    assert.deepEqual(await store.thumbnail(first), { bytes: Uint8Array.from([0, 1, 2]), type: 'image/png' });
    assert.ok((await recall10(store, 'code', codes, 'l2')) >= 0.9);
    // halfvec rounds pixels to 16 bits, which can swap near-ties
    assert.ok((await recall10(store, 'pixel', pixels, 'l2')) >= 0.85);
  });

  it('reports true L2 distances, nearest first, with an item as its own top hit', async () => {
    const [id, code] = [...codes][5] ?? [];
    assert.ok(id !== undefined && code);
    const found = await store.search('code', code, 5, { efSearch: 40 });
    assert.equal(found.ids[0], id);
    assert.ok((found.distances[0] ?? 1) < 1e-6);
    const second = found.ids[1] ?? -1;
    assert.ok(Math.abs((found.distances[1] ?? 0) - distance(code, codes.get(second) ?? code, 'l2')) < 1e-5);
    assert.deepEqual(
      [...found.distances].sort((a, b) => a - b),
      found.distances,
    );
  });

  it('uses the HNSW indexes for both spaces (EXPLAIN)', async () => {
    const code = await store.explainSearch('code', randomCode(), 10, { efSearch: 40 });
    assert.deepEqual(indexNames(code), ['aesearch_items_code']);
    const pixel = await store.explainSearch('pixel', toUnitFloat(newItem(1).input), 10, { efSearch: 40 });
    assert.deepEqual(indexNames(pixel), ['aesearch_items_pixel']);
  });

  it('returns k items of the asked labels when that many exist (an iterative index scan, or the label b-tree where the planner finds it cheaper)', async () => {
    // k = 100 raises ef_search to 100, of which a quarter are of other labels: without iterating, ~75 remain
    const query = randomCode();
    const found = await store.search('code', query, 100, { efSearch: 10, labels: ASKED });
    assert.equal(found.ids.length, 100);
    const labels = new Set(await Promise.all(found.ids.map(async (id) => (await store.item(id))?.label)));
    assert.deepEqual([...labels].sort(), [...ASKED].sort());
    const asked = new Map([...codes].filter(([id]) => ASKED.includes(labelOf.get(id) ?? -1)));
    const exact = new Set(exactTop(asked, query, 100, 'l2'));
    assert.ok(found.ids.filter((id) => exact.has(id)).length >= 90);
  });

  it('shows an item added or removed through one pool to another pool at once', async () => {
    const other = await PgStore.open(db.url);
    try {
      const seq = await other.lastSeq();
      const item = newItem(10_000);
      const [id] = await store.add([item]);
      assert.ok(id !== undefined && item.code);
      assert.equal(await other.count(), COUNT + 1);
      assert.equal((await other.findBySha256('sha-10000'))?.id, id);
      assert.equal((await other.search('code', item.code, 1, { efSearch: 40 })).ids[0], id);
      assert.deepEqual(await other.changesSince(seq), [{ seq: seq + 1, itemId: id, op: 'add' }]);

      assert.deepEqual(await other.remove([id, 999_999]), [id]);
      assert.equal(await store.item(id), undefined);
      assert.notEqual((await store.search('code', item.code, 1, { efSearch: 40 })).ids[0], id);
      assert.deepEqual(await store.changesSince(seq + 1), [{ seq: seq + 2, itemId: id, op: 'remove' }]);
    } finally {
      await other.close();
    }
  });

  it('keeps a model (manifest and files) so a server needs no local files, and refuses another model', async () => {
    const manifest = fakeManifest('model-a');
    const files = new Map([
      ['encoder/model.json', new TextEncoder().encode('{"format":"layers-model"}')],
      ['encoder/weights.bin', Uint8Array.from([0, 255, 7, 9])],
    ]);
    await store.saveModel({ manifest, files });
    const loaded = await store.loadModel();
    assert.deepEqual(loaded.manifest, manifest);
    assert.deepEqual(loaded.files, files);
    await store.assertModel('model-a');
    await assert.rejects(store.assertModel('model-b'), (err) => {
      assert.ok(isAesearchError(err, 'INDEX_MISMATCH'));
      assert.equal(
        err.message,
        `The index (the PostgreSQL store at ${store.where}) was built with model model-a but the current one is model-b; run \`aesearch index\` to rebuild it`,
      );
      return true;
    });
    await assert.rejects(store.loadModel('model-b'), (err) => {
      assert.ok(isAesearchError(err, 'NO_MODEL'));
      assert.match(err.message, /No trained model at .* \(model model-b\); run `aesearch train` first/);
      return true;
    });
  });

  it('says which host it cannot reach while the database is away, and recovers when it is back', async () => {
    await db.stop();
    for (const attempt of [
      () => store.count(),
      () => store.search('code', randomCode(), 10, { efSearch: 40 }),
    ]) {
      await assert.rejects(attempt(), (err) => {
        assert.ok(isAesearchError(err, 'STORE_UNREACHABLE'), String(err));
        assert.match(err.message, new RegExp(`^Cannot reach the PostgreSQL store at ${db.host}/[^ ]+ \\(`));
        assert.match(err.message, /check that the server runs and the URL in --store\/AESEARCH_STORE$/);
        assert.doesNotMatch(err.message, /:postgres@|password/, 'the URL is shown without its password');
        return true;
      });
    }
    await assert.rejects(PgStore.open(db.url), (err) => isAesearchError(err, 'STORE_UNREACHABLE'));
    await db.restart();
    assert.equal(await store.count(), COUNT);
    assert.equal((await store.search('code', randomCode(), 10, { efSearch: 40 })).ids.length, 10);
  });

  it('rebuilds the code index for cosine on migrate, keeping the codes of the same size', async () => {
    const again = await PgStore.open(db.url, { migrate: { ...SPACES, metric: 'cosine' } });
    try {
      assert.equal(again.spaces.metric, 'cosine');
      assert.equal((await store.refresh()).metric, 'cosine');
      assert.ok((await recall10(again, 'code', codes, 'cosine')) >= 0.9);
      const plan = await again.explainSearch('code', randomCode(), 10, { efSearch: 40 });
      assert.deepEqual(indexNames(plan), ['aesearch_items_code']);
    } finally {
      await again.close();
    }
  });

  it('refuses a pixel space wider than pgvector indexes, naming the 4,000 limit', async () => {
    const wide = await PgStore.open(db.url, { migrate: { ...SPACES, pixelDims: 64 * 64 * 3 } });
    try {
      await assert.rejects(
        wide.search('pixel', new Float32Array(64 * 64 * 3), 10, { efSearch: 40 }),
        (err) => {
          assert.ok(isAesearchError(err, 'PIXEL_SPACE_TOO_WIDE'));
          assert.match(
            err.message,
            /^The pixel space has 12288 dims but pgvector's HNSW index takes at most 4,000/,
          );
          return true;
        },
      );
      assert.equal((await wide.search('code', randomCode(), 3, { efSearch: 40 })).ids.length, 3);
    } finally {
      await wide.close();
    }
  });

  it("drops the old model's codes when a model of another code size migrates the store", async () => {
    const next = await PgStore.open(db.url, { migrate: { ...SPACES, codeDims: CODE_DIMS / 2 } });
    try {
      assert.equal(await next.codesModel(), null);
      assert.equal(await next.code(codes.keys().next().value ?? 0), undefined);
      await assert.rejects(next.assertModel('model-a'), (err) => {
        assert.ok(isAesearchError(err, 'INDEX_MISMATCH'));
        assert.match(
          err.message,
          /was built with model none \(no codes are stored\) but the current one is model-a/,
        );
        return true;
      });
      assert.equal(await next.count(), COUNT);
    } finally {
      await next.close();
    }
  });

  it('keeps a store in its own schema apart from one in public (as the bench does beside a collection)', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      await admin.query('CREATE SCHEMA IF NOT EXISTS side_store');
    } finally {
      await admin.end();
    }
    const side = await PgStore.open(db.url, { schema: 'side_store', migrate: SPACES });
    const main = await PgStore.open(db.url);
    try {
      assert.equal(await side.count(), 0, 'a fresh schema gets its own empty tables');
      const before = await main.count();
      await side.add([newItem(90_001)]);
      assert.equal(await side.count(), 1);
      assert.equal(await main.count(), before, 'the store in public is untouched');
    } finally {
      await side.close();
      await main.close();
    }
  });
});

function fakeManifest(weightsHash: string): ModelManifest {
  return {
    version: 1,
    dir: `model-${weightsHash}`,
    arch: { arch: 'dense', side: SIDE, channels: 1, codeSize: CODE_DIMS } as unknown as ModelManifest['arch'],
    codeSize: CODE_DIMS,
    inputShape: [SIDE, SIDE, 1],
    dataset: { name: 'random', fingerprint: 'f', count: COUNT, origin: 'test' },
    backend: 'wasm',
    weightsHash,
    training: {
      epochs: 1,
      batchSize: 8,
      learningRate: 0.001,
      seed: 1,
      seconds: 1,
      imagesPerSecond: 1,
      preset: null,
    },
    finalLoss: { train: 0.1, val: null },
    createdAt: '2026-01-01T00:00:00.000Z',
  };
}
