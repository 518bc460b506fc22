/**
 * The unusual-query warning (`query.reconstructionError`, `query.unusual`) and the map of the collection
 * (GET /api/map, `query.map`) against createApp on a tiny trained index: the unusual-query profile measured
 * at build time agrees with a query's score, noise and flat images are flagged and a stored item is not,
 * the threshold percentile is configurable, and the map leaves out removed items.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import { loadConfig, PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import { SearchService } from '../../src/search/search-service.js';
import { EmbeddedSource } from '../../src/store/embedded-source.js';
import { readIndexManifest } from '../../src/store/manifest.js';
import { createRng } from '../../src/util/rng.js';
import { pngOf } from '../helpers/fixtures.js';
import { expectApiError, TEST_BACKEND } from '../helpers/http.js';
import { useTinyApp } from '../helpers/suite.js';

/**
 * A 28 x 28 PNG of salt-and-pepper noise: no reconstruction gets its error below about 1/4 (its variance),
 * above the worst item of the tiny index (~0.22: its model is trained on 5 batches). Uniform gray noise
 * (variance 1/12) is above every item only with a model trained longer.
 */
function noisePng(seed: number): Buffer {
  const rng = createRng(seed);
  return pngOf(Uint8Array.from({ length: 28 * 28 }, () => (rng() < 0.5 ? 0 : 255)));
}

interface MapPointJson {
  id: number;
  x: number;
  y: number;
  label: number | null;
}

describe('unusual queries and the map of the collection', () => {
  const fx = useTinyApp();

  it('answers an upload of a stored item with its build-time score, a percentile, and no warning', async () => {
    const res = await request(fx.app)
      .post('/api/search?k=3')
      .attach('image', await pngOf(await fx.service.itemPixels(42)), 'q.png');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { reconstructionError, unusual } = res.body.query;
    assert.ok(reconstructionError > 0, `error ${reconstructionError}`);
    // Every item of a tiny collection is measured at build time: the upload scores what the item did.
    const profile = fx.service.source.unusual;
    assert.ok(profile);
    assert.equal(profile.scores.length, fx.service.count);
    const nearest = Math.min(...Array.from(profile.scores, (s) => Math.abs(s - unusual.score)));
    assert.ok(nearest < 1e-3, `score ${unusual.score} is ${nearest} from every item's`);
    assert.deepEqual(Object.keys(unusual).sort(), [
      'basedOn',
      'isUnusual',
      'percentile',
      'score',
      'threshold',
      'thresholdPercentile',
    ]);
    assert.deepEqual(unusual.basedOn, ['errorPerBit', 'gradientError', 'simplicity']);
    assert.equal(unusual.thresholdPercentile, 99.5);
    assert.equal(unusual.threshold, fx.service.unusualThreshold(99.5));
    assert.ok(unusual.percentile > 0 && unusual.percentile < 99.5, `percentile ${unusual.percentile}`);
    assert.ok(unusual.score < unusual.threshold, `score ${unusual.score}, threshold ${unusual.threshold}`);
    assert.equal(unusual.isUnusual, false);
  });

  it('flags an upload of noise as unusual, above every item of the collection', async () => {
    const res = await request(fx.app).post('/api/search?k=3').attach('image', noisePng(5), 'noise.png');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { unusual } = res.body.query;
    assert.equal(unusual.score, 100, 'above every item on a feature');
    assert.equal(unusual.percentile, 100);
    assert.equal(unusual.isUnusual, true);
  });

  it('flags black and flat gray images, which rebuild about as well as the items', async () => {
    // Simple images rebuild well (their plain error passes as usual); per bit of their size they do not.
    const items = await Promise.all(
      [1, 2, 3, 4, 5].map(async (id) => {
        const found = await fx.service.searchById(id, { k: 1, spaces: ['code'] });
        return found.query.reconstructionError;
      }),
    );
    for (const level of [0, 40, 90]) {
      const flat = await pngOf(new Uint8Array(28 * 28).fill(level));
      const res = await request(fx.app).post('/api/search?k=1').attach('image', flat, 'flat.png');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { unusual, reconstructionError } = res.body.query;
      assert.equal(unusual.score, 100, `level ${level}: ${JSON.stringify(res.body.query.unusual)}`);
      assert.equal(unusual.isUnusual, true, `level ${level}`);
      if (level === 90)
        assert.ok(
          reconstructionError < Math.max(...items),
          `its error ${reconstructionError} is no larger than some items' (${items.join(', ')})`,
        );
    }
  });

  it('takes the threshold percentile from the config', async () => {
    const app = createApp(fixedProvider(fx.service, TEST_BACKEND), {
      maxUploadBytes: 1 << 20,
      publicDir: join(PACKAGE_ROOT, 'public'),
      unusualPercentile: 1,
    });
    const res = await request(app).get('/api/items/42/similar?k=2');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { unusual } = res.body.query;
    assert.equal(unusual.thresholdPercentile, 1);
    assert.equal(unusual.threshold, fx.service.unusualThreshold(1));
    assert.ok(unusual.threshold < (fx.service.unusualThreshold(99.5) ?? 0));
    assert.equal(unusual.isUnusual, unusual.score > unusual.threshold);
    assert.equal(unusual.isUnusual, unusual.percentile > 1, `percentile ${unusual.percentile}`);
  });

  it('GET /api/map answers every item of a small collection laid out by PCA in [0, 1]', async () => {
    const res = await request(fx.app).get('/api/map');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.method, 'pca', 'a few hundred points are laid out by PCA');
    const points: MapPointJson[] = res.body.points;
    assert.equal(points.length, fx.service.count);
    assert.equal(res.body.count, points.length);
    assert.deepEqual(Object.keys(points[0] ?? {}).sort(), ['id', 'label', 'x', 'y']);
    for (const p of points) {
      assert.ok(p.x >= 0 && p.x <= 1 && p.y >= 0 && p.y <= 1, JSON.stringify(p));
      assert.equal(p.label, (await fx.service.item(p.id)).label);
    }
    const spread = Math.max(...points.map((p) => p.x)) - Math.min(...points.map((p) => p.x));
    assert.ok(spread > 0.99, 'the longer side spans the map');
    assert.deepEqual(
      res.body.labels.map((l: { label: number; name: string }) => [l.label, l.name]),
      [...new Set(points.map((p) => p.label))]
        .sort((a, b) => (a ?? 0) - (b ?? 0))
        .map((label) => [label, fx.service.labelName(label)]),
    );
  });

  it('places a query on the map at its neighbours: a stored item at its own point', async () => {
    const map = (await request(fx.app).get('/api/map')).body.points as MapPointJson[];
    const own = map.find((p) => p.id === 42);
    assert.ok(own);
    const res = await request(fx.app).get('/api/items/42/similar?k=2');
    assert.deepEqual(res.body.query.map, { x: own.x, y: own.y });
    const noise = await request(fx.app).post('/api/search?k=1').attach('image', noisePng(6), 'n.png');
    const { x, y } = noise.body.query.map;
    assert.ok(x >= 0 && x <= 1 && y >= 0 && y <= 1, JSON.stringify(noise.body.query.map));
  });

  it('answers MAP_UNAVAILABLE and no score for an index built before maps and the unusual-query profile', async () => {
    // The same opened index as an older build would have it; never closed (fx.service owns it).
    const older = new SearchService(
      fx.service.loadedModel,
      new EmbeddedSource({ ...fx.service.embedded('test'), map: null, unusual: null }),
    );
    const app = createApp(fixedProvider(older, TEST_BACKEND), {
      maxUploadBytes: 1 << 20,
      publicDir: join(PACKAGE_ROOT, 'public'),
    });
    expectApiError(
      await request(app).get('/api/map'),
      409,
      'MAP_UNAVAILABLE',
      'The index has no map of the collection (it was built before maps were made); rebuild it with `aesearch index`',
    );
    const res = await request(app).get('/api/items/42/similar?k=2');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.query.unusual, {
      score: null,
      percentile: null,
      threshold: null,
      thresholdPercentile: 99.5,
      isUnusual: false,
      basedOn: ['errorPerBit', 'gradientError', 'simplicity'],
    });
    assert.equal(res.body.query.map, null);
  });

  it('reads the threshold percentile from AESEARCH_UNUSUAL_PERCENTILE, the flag winning, and refuses 0', () => {
    assert.equal(loadConfig({}, {}, '/tmp').unusualPercentile, 99.5);
    const env = { AESEARCH_UNUSUAL_PERCENTILE: '99' };
    assert.equal(loadConfig({}, env, '/tmp').unusualPercentile, 99);
    assert.equal(loadConfig({ unusualPercentile: 95 }, env, '/tmp').unusualPercentile, 95);
    assert.throws(() => loadConfig({}, { AESEARCH_UNUSUAL_PERCENTILE: '0' }, '/tmp'), {
      code: 'BAD_OPTION',
      message:
        'Expected unusualPercentile (--unusual-percentile or AESEARCH_UNUSUAL_PERCENTILE) to be a percentile above 0 and at most 100 but received 0',
    });
  });

  it('leaves removed items out of the map', async () => {
    const before = (await request(fx.app).get('/api/map')).body.points as MapPointJson[];
    assert.ok(before.some((p) => p.id === 7));
    assert.deepEqual(await fx.service.removeItems([7]), [7]);
    const after = (await request(fx.app).get('/api/map')).body.points as MapPointJson[];
    assert.equal(after.length, before.length - 1);
    assert.equal(
      after.some((p) => p.id === 7),
      false,
    );
  });

  it('records the unusual-query profile in the manifest and refuses a changed one, naming the file', async () => {
    const manifest = await readIndexManifest(fx.tiny.indexDir);
    assert.deepEqual(
      { ...manifest.unusual, sha256: undefined },
      {
        file: 'unusual.f32',
        count: fx.tiny.dataset.database.count,
        features: ['errorPerBit', 'gradientError', 'simplicity'],
        sha256: undefined,
      },
    );
    const file = join(fx.tiny.indexDir, manifest.dir, 'unusual.f32');
    const bytes = await readFile(file);
    try {
      await writeFile(file, Buffer.alloc(bytes.length));
      await assert.rejects(SearchService.open(fx.tiny.indexDir), {
        code: 'INDEX_CORRUPT',
        message: new RegExp(
          `^${file} cannot be loaded \\(its sha256 [0-9a-f]{12}\\.\\.\\. differs from the manifest's [0-9a-f]{12}\\.\\.\\.\\); run \`aesearch index\` to rebuild it$`,
        ),
      });
    } finally {
      await writeFile(file, bytes);
    }
  });

  it('refuses to open an index whose map file differs from the manifest, naming the file', async () => {
    const manifest = await readIndexManifest(fx.tiny.indexDir);
    const file = join(fx.tiny.indexDir, manifest.dir, 'map.json');
    await writeFile(file, '{"method":"pca","points":[]}');
    await assert.rejects(SearchService.open(fx.tiny.indexDir), {
      code: 'INDEX_CORRUPT',
      message: new RegExp(
        `^${file} cannot be loaded \\(its sha256 [0-9a-f]{12}\\.\\.\\. differs from the manifest's [0-9a-f]{12}\\.\\.\\.\\); run \`aesearch index\` to rebuild it$`,
      ),
    });
  });
});
