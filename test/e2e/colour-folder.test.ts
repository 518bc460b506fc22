/**
 * End to end on a folder of colour images: train and index it from the CLI (colour, 32 px by default),
 * search one of its images and get a colour query image back, and evaluate it with queries that are
 * database items kept out of their own neighbours.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { loadDataset } from '../../src/dataset/load.js';
import { evaluateExactSpace, type QuerySets } from '../../src/eval/space-eval.js';
import { pixelVectors } from '../../src/eval/vectors.js';
import { searchJson } from '../../src/http/shape.js';
import { SearchService } from '../../src/search/search-service.js';
import { backendInfo } from '../../src/tfjs/backend.js';
import { useTestBackend } from '../helpers/backend.js';
import { runCli } from '../helpers/cli.js';
import { makeColourFolder } from '../helpers/colour-folder.js';
import { tempDir } from '../helpers/fixtures.js';

const PER_CLASS = 12;
const CLASSES = 3;

/** The raw pixels and shape of a `data:image/png;base64,` URI, as sharp reads them. */
async function pngPixels(uri: string) {
  const png = Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64');
  const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, channels: info.channels };
}

describe('a colour image folder: train -> index -> search -> eval', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  let data: string;
  let indexDir: string;
  const env = () => ({ AESEARCH_INDEX_DIR: indexDir, AESEARCH_DATA: data });

  before(async () => {
    await useTestBackend();
    ({ dir: root, cleanup } = await tempDir());
    data = join(root, 'shapes');
    indexDir = join(root, 'index');
    await makeColourFolder(data, { perClass: PER_CLASS, classes: CLASSES, size: 40 });
    const train = await runCli(
      ['train', '--epochs', '1', '--batch-size', '8', '--hidden', '16', '--code-size', '4', '--threads', '1'],
      env(),
    );
    assert.equal(train.code, 0, train.stderr);
    const index = await runCli(['index'], env());
    assert.equal(index.code, 0, index.stderr);
  });
  after(() => cleanup());

  it('answers a search with a colour query image and reconstruction, finding the image itself in pixels', async () => {
    const service = await SearchService.open(indexDir);
    try {
      const { side, channels, invertLightBorder } = service.source.meta;
      const format = { side, channels, invertLightBorder };
      assert.deepEqual(format, { side: 32, channels: 3, invertLightBorder: false });
      assert.equal(service.count, PER_CLASS * CLASSES, 'every image is searchable');
      const file = await readFile(join(data, 'red-circles', '003.png'));
      const found = await service.searchByImage(file, { k: 3, spaces: ['code', 'pixel'] });
      assert.equal(found.spaces.pixel?.results[0]?.source, 'red-circles/003.png');
      const json = searchJson(found, 3, format, { percentile: 99.5, score: service.unusualThreshold(99.5) });
      const { score, percentile } = json.query.unusual;
      assert.ok(score !== null && score > 0 && score <= 100, `colour images are scored too: ${score}`);
      assert.ok(percentile !== null && percentile >= 0 && percentile <= 100, `percentile ${percentile}`);
      for (const uri of [json.query.image, json.query.reconstruction]) {
        const { width, channels } = await pngPixels(uri);
        assert.deepEqual([width, channels], [32, 3]);
      }
      const { data: px } = await pngPixels(json.query.image);
      const centre = (16 * 32 + 16) * 3;
      const [r = 0, g = 0, b = 0] = px.subarray(centre, centre + 3);
      assert.ok(r > 150 && g < 100 && b < 100, `the red circle's centre is red: ${r}, ${g}, ${b}`);
    } finally {
      await service.close();
    }
  });

  it('refuses to index the folder in another format than the model was trained on', async () => {
    const run = await runCli(['index', '--gray'], env());
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /Expected the image format \(--image-size, --gray\) to be the model's input, 32x32 colour \(.*model\.json\) but received 32x32 grayscale; give the flags the model was trained with, or train again with these/,
    );
  });

  it('evaluates from the CLI with the sampled queries', async () => {
    const run = await runCli(
      ['eval', '--json', '--no-cache', '--k', '5', '--out', join(root, 'eval')],
      env(),
    );
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.equal(report.protocol.database, PER_CLASS * CLASSES);
    assert.equal(report.protocol.queries, 4);
    assert.match(
      report.protocol.split,
      /every image in the database \(36\); a seeded 4 of them are the eval's queries/,
    );
    for (const space of ['pixel', 'pca', 'code']) {
      const p10 = report.spaces[space].precision['10'];
      assert.ok(p10 >= 0 && p10 <= 1, `${space} precision@10 = ${p10}`);
    }
  });

  it("keeps each query's own item out of its exact neighbours (and would find it first otherwise)", async () => {
    const dataset = await loadDataset({ data, searchPath: [] });
    const ids = dataset.queries.databaseIds;
    assert.ok(ids && ids.length === 4);
    const clean = dataset.queries;
    const sets: QuerySets = { clean, shift2: clean, noise: clean, jpeg224: clean };
    const labels = {
      queries: clean.labels ?? new Int32Array(),
      database: dataset.database.labels ?? new Int32Array(),
    };
    const space = {
      name: 'pixel',
      database: pixelVectors(dataset.database),
      embed: async (set: typeof clean) => pixelVectors(set),
      metric: 'l2' as const,
      backend: backendInfo().name,
      threads: 1,
      mapAllQueries: 4,
    };
    const quiet = () => () => {};
    const kept = await evaluateExactSpace(space, sets, { ...labels, databaseIds: ids }, [5], quiet);
    const naive = await evaluateExactSpace(space, sets, labels, [5], quiet);
    for (let q = 0; q < ids.length; q++) {
      assert.equal(naive.clean.ids[q * naive.clean.k], ids[q], `without exclusion query ${q} finds itself`);
      const row = Array.from(kept.clean.ids.subarray(q * kept.clean.k, (q + 1) * kept.clean.k));
      assert.equal(row.length, 10);
      assert.ok(!row.includes(ids[q] ?? -1), `query ${q}'s neighbours ${row} hold itself`);
      assert.ok(row.every((id) => id >= 0));
    }
  });
});
