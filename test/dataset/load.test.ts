import assert from 'node:assert/strict';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { PACKAGE_ROOT } from '../../src/config.js';
import { loadDataset } from '../../src/dataset/load.js';
import { labelName } from '../../src/dataset/types.js';
import { isAesearchError } from '../../src/errors.js';
import { makeColourFolder } from '../helpers/colour-folder.js';
import { pngOf, TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';

describe('bundled fashion-mnist', () => {
  it('splits the 10,000 test images into 9,000 database and 1,000 queries, with class names', async () => {
    const ds = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH });
    assert.equal(ds.database.count, 9000);
    assert.equal(ds.queries.count, 1000);
    assert.equal(ds.database.pixels.length, 9000 * 784);
    assert.equal(ds.classNames?.[0], 'T-shirt/top');
    assert.equal(labelName(ds, ds.database.labels?.[0] ?? null), 'Ankle boot');
    // every label occurs in both splits
    assert.equal(new Set(ds.queries.labels).size, 10);
    assert.match(ds.split, /database 9000, queries 1000/);
  });

  it('keeps only the first N database images with a limit, changing the fingerprint', async () => {
    const all = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH });
    const some = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 300 });
    assert.equal(some.database.count, 300);
    assert.deepEqual(some.database.pixels, all.database.pixels.subarray(0, 300 * 784));
    assert.notEqual(some.fingerprint, all.fingerprint);
  });

  it('uses the full set when all four files are present', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const src = join(PACKAGE_ROOT, 'data', 'fashion-mnist');
      await mkdir(join(dir, 'fashion-mnist'));
      for (const [from, to] of [
        ['t10k-images-idx3-ubyte.gz', 'train-images-idx3-ubyte.gz'],
        ['t10k-labels-idx1-ubyte.gz', 'train-labels-idx1-ubyte.gz'],
        ['t10k-images-idx3-ubyte.gz', 't10k-images-idx3-ubyte.gz'],
        ['t10k-labels-idx1-ubyte.gz', 't10k-labels-idx1-ubyte.gz'],
      ] as const) {
        await copyFile(join(src, from), join(dir, 'fashion-mnist', to));
      }
      const ds = await loadDataset({ data: 'fashion-mnist', searchPath: [dir, ...TEST_DATA_PATH] });
      assert.equal(ds.database.count, 10000);
      assert.equal(ds.queries.count, 10000);
      assert.match(ds.origin, /full set/);
    } finally {
      await cleanup();
    }
  });

  it('says where it looked and what to do when a named dataset is missing', async () => {
    await assert.rejects(
      loadDataset({ data: 'mnist', searchPath: ['/nowhere'] }),
      (err) =>
        isAesearchError(err, 'DATASET_NOT_FOUND') &&
        err.message ===
          'No dataset "mnist" found (looked in /nowhere/mnist); put the four MNIST IDX files into data/mnist/',
    );
  });
});

describe('image folder dataset', () => {
  it('reads images, labels from sub-folders, and skips an unreadable file without stopping', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const ds0 = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 12 });
      for (const cls of ['bags', 'shoes']) await mkdir(join(dir, cls));
      for (let i = 0; i < 12; i++) {
        const px = ds0.database.pixels.subarray(i * 784, (i + 1) * 784);
        await writeFile(
          join(dir, i % 2 ? 'bags' : 'shoes', `img${String(i).padStart(2, '0')}.png`),
          await pngOf(px),
        );
      }
      await writeFile(join(dir, 'shoes', 'broken.jpg'), 'not a jpeg');
      await writeFile(join(dir, 'shoes', 'notes.txt'), 'ignored: not an image extension');
      const skipped: string[] = [];
      const ds = await loadDataset({
        data: dir,
        searchPath: [],
        gray: true,
        imageSize: 28,
        onSkip: (file) => skipped.push(file),
      });
      assert.deepEqual(skipped, [join(dir, 'shoes', 'broken.jpg')]);
      assert.equal(ds.database.count, 12, 'every image is in the database');
      assert.deepEqual(ds.format, { side: 28, channels: 1, invertLightBorder: true });
      assert.deepEqual(ds.classNames, ['bags', 'shoes']);
      assert.equal(ds.kind, 'folder');
      // first file in sorted order is bags/img01.png: decoded pixels equal the original image
      assert.deepEqual(ds.database.pixels.subarray(0, 784), ds0.database.pixels.subarray(784, 1568));
      assert.equal(ds.database.labels?.[0], 0);
    } finally {
      await cleanup();
    }
  });

  it('keeps labels past 255: a folder of 300 one-image classes labels class 299 as 299', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const names = Array.from({ length: 300 }, (_, i) => `c${String(i).padStart(3, '0')}`);
      for (const [i, name] of names.entries()) {
        await mkdir(join(dir, name));
        const png = await sharp({
          create: { width: 8, height: 8, channels: 3, background: { r: i % 256, g: 0, b: 0 } },
        })
          .png()
          .toBuffer();
        await writeFile(join(dir, name, 'a.png'), png);
      }
      const ds = await loadDataset({ data: dir, searchPath: [] });
      assert.deepEqual(ds.classNames, names);
      const at = ds.database.sources?.indexOf(join('c299', 'a.png')) ?? -1;
      assert.equal(ds.database.labels?.[at], 299);
      assert.equal(labelName(ds, ds.database.labels?.[at] ?? null), 'c299');
      for (const set of [ds.database, ds.queries]) {
        const folders = set.sources?.map((s) => s.split(sep)[0]);
        assert.deepEqual(
          Array.from(set.labels ?? [], (l) => names[l]),
          folders,
        );
      }
    } finally {
      await cleanup();
    }
  });

  it('keeps colour at 32 px by default and samples a seeded tenth as queries that stay in the database', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await makeColourFolder(dir, { perClass: 10, classes: 3, size: 40 });
      const ds = await loadDataset({ data: dir, searchPath: [] });
      assert.deepEqual(ds.format, { side: 32, channels: 3, invertLightBorder: false });
      assert.equal(ds.database.count, 30);
      assert.equal(ds.database.pixels.length, 30 * 32 * 32 * 3);
      assert.equal(ds.queries.count, 3);
      const ids = [...(ds.queries.databaseIds ?? [])];
      assert.equal(ids.length, 3);
      ids.forEach((id, q) => {
        assert.equal(ds.queries.sources?.[q], ds.database.sources?.[id]);
        assert.deepEqual(
          ds.queries.pixels.subarray(q * 3072, (q + 1) * 3072),
          ds.database.pixels.subarray(id * 3072, (id + 1) * 3072),
        );
      });
      const again = await loadDataset({ data: dir, searchPath: [] });
      assert.deepEqual([...(again.queries.databaseIds ?? [])], ids, 'the sample is seeded');
      const gray = await loadDataset({ data: dir, searchPath: [], gray: true, imageSize: 16 });
      assert.deepEqual(gray.format, { side: 16, channels: 1, invertLightBorder: true });
      assert.equal(gray.database.pixels.length, 30 * 16 * 16);
      assert.notEqual(gray.fingerprint, ds.fingerprint);
    } finally {
      await cleanup();
    }
  });

  it('refuses an --image-size the dataset cannot take, naming the dataset', async () => {
    await assert.rejects(
      loadDataset({ data: 'mnist', searchPath: TEST_DATA_PATH, imageSize: 32 }),
      (err) =>
        isAesearchError(err, 'BAD_OPTION') &&
        err.message ===
          'Expected --image-size for mnist to be 28 (its images are 28x28 grayscale; other sizes are for image folders), or left out but received 32',
    );
    await assert.rejects(
      loadDataset({ data: '/nowhere', searchPath: [], imageSize: 4 }),
      (err) =>
        isAesearchError(err, 'BAD_OPTION') &&
        err.message === 'Expected --image-size to be a whole number of pixels from 8 to 256 but received 4',
    );
  });

  it('refuses a folder with no readable image', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await writeFile(join(dir, 'a.png'), 'nope');
      await assert.rejects(
        loadDataset({ data: dir, searchPath: [] }),
        (err) =>
          isAesearchError(err, 'EMPTY_DATASET') &&
          err.message === `No readable JPEG, PNG or WebP images in ${dir}`,
      );
    } finally {
      await cleanup();
    }
  });
});
