/**
 * End to end: train a tiny model for a few steps on a few hundred bundled images, build the index,
 * and find stored images as their own top hit, from the library and from the CLI.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PACKAGE_ROOT } from '../../src/config.js';
import type { Dataset } from '../../src/dataset/types.js';
import { runCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

const LIMIT = 300;

describe('train -> index -> search', () => {
  let tiny: TinyIndex;
  let indexDir: string;
  let dataset: Dataset;
  const env = () => ({ AESEARCH_INDEX_DIR: indexDir, AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':') });

  before(async () => {
    tiny = await buildTinyIndex({ limit: LIMIT, codeSize: 8, hidden: [32] });
    ({ indexDir, dataset } = tiny);
  });
  after(() => tiny.cleanup());

  it('finds a stored image, uploaded as PNG, as its own top hit at distance ~0 in both spaces', async () => {
    const service = await tiny.open();
    try {
      for (const id of [0, 123, LIMIT - 1]) {
        const png = await pngOf(await service.itemPixels(id));
        const res = await service.searchByImage(png, { k: 5, spaces: ['code', 'pixel'] });
        for (const space of ['code', 'pixel'] as const) {
          const top = res.spaces[space]?.results[0];
          assert.equal(top?.id, id, `${space} top hit for ${id}`);
          assert.ok((top?.distance ?? 1) < 1e-3, `${space} distance ${top?.distance}`);
          assert.equal(res.spaces[space]?.results.length, 5);
        }
        assert.equal(res.query.code.length, 8);
      }
    } finally {
      await service.close();
    }
  });

  it('searches from the CLI with --json', async () => {
    const { dir, cleanup: done } = await tempDir();
    try {
      const file = join(dir, 'q.png');
      await writeFile(file, await pngOf(dataset.database.pixels.subarray(42 * 784, 43 * 784)));
      for (const space of ['code', 'pixel']) {
        const run = await runCli(['search', file, '--json', '--k', '3', '--space', space], env());
        assert.equal(run.code, 0, run.stderr);
        const out = JSON.parse(run.stdout);
        assert.equal(out.space, space);
        assert.equal(out.k, 3);
        assert.equal(out.results.length, 3);
        assert.deepEqual(Object.keys(out.results[0]).sort(), [
          'addedAt',
          'distance',
          'id',
          'label',
          'labelName',
          'source',
        ]);
        assert.equal(out.results[0].id, 42);
        assert.equal(out.results[0].labelName, dataset.classNames?.[dataset.database.labels?.[42] ?? -1]);
      }
      assert.match((await runCli(['search', file], env())).stderr, /^backend: /);
    } finally {
      await done();
    }
  });

  it('refuses to search an index built for other data, saying to run aesearch index', async () => {
    const run = await runCli(['search', join(PACKAGE_ROOT, 'package.json'), '--data', 'fashion-mnist'], {
      ...env(),
      AESEARCH_DATA_PATH: '/nowhere',
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /aesearch: /);
    const corrupt = await runCli(['search', '/no/such.png'], env());
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /^aesearch: No file at \/no\/such\.png$/m);
  });
});

describe('CLI errors', () => {
  it('reports a corrupt IDX file in one line with a non-zero exit', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const ds = join(dir, 'fashion-mnist');
      await mkdir(ds);
      await copyFile(
        join(TEST_DATA_PATH[0] as string, 'fashion-mnist', 't10k-labels-idx1-ubyte.gz'),
        join(ds, 't10k-labels-idx1-ubyte.gz'),
      );
      await writeFile(join(ds, 't10k-images-idx3-ubyte'), Buffer.from([0, 0, 8, 3, 0, 0, 0, 9]));
      const run = await runCli(['train', '--epochs', '1'], {
        AESEARCH_DATA_PATH: dir,
        AESEARCH_INDEX_DIR: join(dir, 'index'),
      });
      assert.equal(run.code, 1);
      const lines = run.stderr.trim().split('\n');
      assert.equal(
        lines.at(-1),
        `aesearch: ${join(ds, 't10k-images-idx3-ubyte')} is truncated: expected a 16-byte header but it holds 8 bytes; download it again`,
      );
    } finally {
      await cleanup();
    }
  });

  it('reports a missing dataset in one line with a non-zero exit', async () => {
    const run = await runCli(['index', '--data', 'mnist'], {
      AESEARCH_DATA_PATH: '/nowhere',
      AESEARCH_INDEX_DIR: '/nowhere/index',
    });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr.trim().split('\n').at(-1) ?? '',
      /^aesearch: No trained model at \/nowhere\/index\/model\.json; run `aesearch train` first$/,
    );
    const train = await runCli(['train', '--data', 'mnist'], {
      AESEARCH_DATA_PATH: '/nowhere',
      AESEARCH_INDEX_DIR: '/nowhere/index',
    });
    assert.equal(train.code, 1);
    assert.equal(
      train.stderr.trim().split('\n').at(-1),
      'aesearch: No dataset "mnist" found (looked in /nowhere/mnist); put the four MNIST IDX files into data/mnist/',
    );
  });

  it('rejects a bad flag value with usage help', async () => {
    const run = await runCli(['train', '--epochs', 'zero']);
    assert.notEqual(run.code, 0);
    assert.match(
      run.stderr,
      /--epochs <n>' argument 'zero' is invalid. expected a whole number from 1 to 10000/,
    );
  });
});
