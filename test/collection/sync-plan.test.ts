import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ItemRecord } from '../../src/collection/catalogue.js';
import { folderLabel, type ScannedFile, scanFolder } from '../../src/collection/scan.js';
import { planSync } from '../../src/collection/sync-plan.js';

function file(source: string, bytes = 10, mtimeMs = 1000): ScannedFile {
  return { path: `/r/${source}`, root: '/r', source, bytes, mtimeMs, label: folderLabel(source) };
}

function record(id: number, source: string, bytes = 10, mtimeMs = 1000): ItemRecord {
  return { id, source, root: '/r', label: null, bytes, sha256: `s${id}`, mtimeMs, addedAt: 'then' };
}

describe('scanFolder', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aesearch-scan-'));
    await mkdir(join(dir, 'cats', 'deep'), { recursive: true });
    await writeFile(join(dir, 'cats', 'a.PNG'), 'x');
    await writeFile(join(dir, 'cats', 'deep', 'b.jpg'), 'xy');
    await writeFile(join(dir, 'top.webp'), 'xyz');
    await writeFile(join(dir, 'notes.txt'), 'not an image');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('finds image files at any depth with their source, size and first-level label', async () => {
    const found = await scanFolder(dir);
    assert.deepEqual(
      found.map((f) => [f.source, f.label, f.bytes]),
      [
        ['cats/a.PNG', 'cats', 1],
        ['cats/deep/b.jpg', 'cats', 2],
        ['top.webp', null, 3],
      ],
    );
    assert.ok(found.every((f) => f.root === dir && f.path.startsWith(dir)));
  });

  it('refuses what is not a folder, naming it', async () => {
    await assert.rejects(scanFolder(join(dir, 'top.webp')), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'DATASET_NOT_FOUND');
      assert.match(err.message, /top\.webp/);
      return true;
    });
  });
});

describe('planSync', () => {
  it('adds new files, removes vanished items and checks changed ones; unchanged ones are left', () => {
    const plan = planSync(
      [file('a.png'), file('b.png', 11), file('c.png', 10, 2000), file('new.png')],
      [record(1, 'a.png'), record(2, 'b.png'), record(3, 'c.png'), record(4, 'gone.png')],
    );
    assert.deepEqual(
      plan.add.map((f) => f.source),
      ['new.png'],
    );
    assert.deepEqual(
      plan.remove.map((i) => i.id),
      [4],
    );
    assert.deepEqual(
      plan.check.map((c) => [c.file.source, c.item.id]),
      [
        ['b.png', 2],
        ['c.png', 3],
      ],
    );
  });

  it('has nothing to do when the folder matches the catalogue', () => {
    const plan = planSync([file('a.png', 10, 1000.4)], [record(1, 'a.png')]);
    assert.deepEqual(plan, { add: [], remove: [], check: [] });
  });
});
