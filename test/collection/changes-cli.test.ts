/**
 * `aesearch add`, `remove` and `sync` on a real index folder: labels from sub-folders or --label,
 * duplicates, unknown ids, a sync that changes nothing the second time, a changed and a deleted file, a
 * running server that answers with the CLI's changes within a second, and SIGKILL in the middle of an add.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import request from 'supertest';
import { Catalogue } from '../../src/collection/catalogue.js';
import { loadDataset } from '../../src/dataset/load.js';
import type { Dataset } from '../../src/dataset/types.js';
import { SearchService } from '../../src/search/search-service.js';
import { readIndexManifest } from '../../src/store/manifest.js';
import { runCli, startCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { until } from '../helpers/listen.js';
import { startTestServer } from '../helpers/server.js';
import { useTinyScratch } from '../helpers/suite.js';

describe('aesearch add, remove and sync', () => {
  const fx = useTinyScratch();
  let indexDir: string;
  let photos: string;
  let more: Dataset;
  const png = (i: number) => pngOf(more.database.pixels.subarray(i * 784, (i + 1) * 784));
  const cli = async (args: string[]) => {
    const run = await runCli([...args, '--index-dir', indexDir, '--json']);
    return { ...run, json: run.code === 0 ? JSON.parse(run.stdout) : null };
  };

  before(async () => {
    indexDir = join(fx.scratch.dir, 'index');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    more = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 600 });
    photos = join(fx.scratch.dir, 'photos');
    for (const [dir, from] of [
      ['shoes', 400],
      ['bags/old', 410],
    ] as const) {
      await mkdir(join(photos, dir), { recursive: true });
      for (let i = 0; i < 4; i++) await writeFile(join(photos, dir, `p${i}.png`), png(from + i));
    }
    await writeFile(join(photos, 'loose.png'), png(420));
  });

  it('adds a folder (labels from first-level folders), then finds its images; a second add finds duplicates', async () => {
    const run = await cli(['add', photos]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.json.added.length, 9);
    const labels = Object.fromEntries(
      run.json.added.map((a: { source: string; label: string | null }) => [a.source, a.label]),
    );
    assert.equal(labels['shoes/p0.png'], 'shoes');
    assert.equal(labels['bags/old/p1.png'], 'bags');
    assert.equal(labels['loose.png'], null);
    const again = await cli(['add', join(photos, 'shoes'), '--label', 'boots']);
    assert.equal(again.json.added.length, 0);
    assert.deepEqual(
      again.json.duplicates.map((d: { source: string }) => d.source),
      ['p0.png', 'p1.png', 'p2.png', 'p3.png'],
    );
    const service = await SearchService.open(indexDir);
    try {
      assert.equal(service.count, 309);
      const found = await service.searchByImage(png(402), { k: 1, spaces: ['code', 'pixel'] });
      assert.equal(found.spaces.code?.results[0]?.source, 'shoes/p2.png');
      assert.equal(found.spaces.pixel?.results[0]?.source, 'shoes/p2.png');
    } finally {
      await service.close();
    }
  });

  it('removes by id; an unknown id exits 1 with one line', async () => {
    const removed = await cli(['remove', '5', '6']);
    assert.deepEqual(removed.json.removed, [5, 6]);
    const unknown = await runCli(['remove', '5', '--index-dir', indexDir]);
    assert.equal(unknown.code, 1);
    assert.equal(
      unknown.stderr.trim().split('\n').at(-1),
      'aesearch: No item with id 5 in the collection (never added, or removed); GET /api/items lists the items',
    );
  });

  it('syncs a folder: a second run changes nothing; a changed file is re-embedded, a deleted one removed', async () => {
    const first = await cli(['sync', photos]);
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual([first.json.added.length, first.json.removed.length], [0, 0], 'add already put them in');
    await writeFile(join(photos, 'shoes', 'p0.png'), png(430));
    await rm(join(photos, 'loose.png'));
    await writeFile(join(photos, 'new.png'), png(431));
    const changed = await cli(['sync', photos]);
    assert.deepEqual(changed.json.added.map((a: { source: string }) => a.source).sort(), [
      'new.png',
      'shoes/p0.png',
    ]);
    assert.equal(changed.json.removed.length, 2, 'the old shoes/p0.png and loose.png');
    const second = await cli(['sync', photos]);
    assert.deepEqual([second.json.added, second.json.removed, second.json.rejected], [[], [], []]);
  });

  it('a running server answers with items the CLI adds, and stops answering with removed ones, within a second', async () => {
    const server = await startTestServer(indexDir);
    const base = server.url.replace(/\/$/, '');
    const top = async (i: number) => {
      const res = await request(base).post('/api/search?k=1&space=code').attach('image', png(i), 'q.png');
      assert.equal(res.status, 200, res.text);
      return res.body.spaces.code.results[0];
    };
    try {
      await writeFile(join(fx.scratch.dir, 'one.png'), png(440));
      const added = await cli(['add', join(fx.scratch.dir, 'one.png')]);
      const id = added.json.added[0].id as number;
      await until('the server answers with the added item', async () => (await top(440))?.id === id);
      await cli(['remove', String(id)]);
      await until('the server forgets the removed item', async () => (await top(440))?.id !== id);
    } finally {
      await server.close();
    }
  });

  it('SIGKILL in the middle of an add leaves a collection that opens, with every item searchable once; sync completes it', async () => {
    const many = join(fx.scratch.dir, 'many');
    await mkdir(many);
    for (let i = 0; i < 120; i++) await writeFile(join(many, `m${i}.png`), png(450 + i));
    const { catalogue } = await readIndexManifest(indexDir);
    const before = Catalogue.open(join(indexDir, catalogue));
    const startCount = before.count();
    const child = startCli(['add', many, '--index-dir', indexDir]);
    await until('part of the add is committed', () => before.count() > startCount);
    child.child.kill('SIGKILL');
    await child.exited;
    const partial = before.count();
    before.close();
    assert.ok(partial < startCount + 120, 'killed before the end');
    const service = await SearchService.open(indexDir);
    try {
      assert.equal(service.count, partial, 'every listed item is in the index');
      const hashes = service
        .embedded('test')
        .catalogue.items({ offset: 0, limit: 1000 })
        .items.map((i) => i.sha256);
      assert.equal(new Set(hashes).size, hashes.length, 'no item twice');
    } finally {
      await service.close();
    }
    const sync = await cli(['sync', many]);
    assert.equal(sync.json.added.length, startCount + 120 - partial);
    const done = await SearchService.open(indexDir);
    try {
      assert.equal(done.count, startCount + 120);
    } finally {
      done.close();
    }
  });

  it('a rebuild from the same data keeps every item added and removed since', async () => {
    const before = await SearchService.open(indexDir);
    const count = before.count;
    before.close();
    const run = await runCli(['index', '--limit', '300', '--index-dir', indexDir], {
      AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'),
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`collection: fashion-mnist \\(${count} items\\)`));
    const after = await SearchService.open(indexDir);
    try {
      assert.equal(after.count, count);
      await assert.rejects(after.item(5), { code: 'ITEM_NOT_FOUND' }, 'a removed item stays removed');
      const found = await after.searchByImage(png(402), { k: 1, spaces: ['code'] });
      assert.equal(found.spaces.code?.results[0]?.source, 'shoes/p2.png');
    } finally {
      after.close();
    }
  });
});
