import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Catalogue, type NewItem } from '../../src/collection/catalogue.js';

function item(n: number, label: string | null, extra: Partial<NewItem> = {}): NewItem {
  return {
    source: `img-${n}.png`,
    root: '/photos',
    labelName: label,
    bytes: 100 + n,
    sha256: `sha-${n}`,
    mtimeMs: 1000 + n,
    input: Uint8Array.from([n, n + 1, n + 2, n + 3]),
    thumb: Uint8Array.from([9, n]),
    thumbType: 'image/png',
    ...extra,
  };
}

describe('Catalogue (SQLite)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aesearch-cat-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('adds, lists, finds, removes and logs every change; ids are never reused', () => {
    const cat = Catalogue.open(join(dir, 'a.db'), { create: true });
    try {
      cat.setMeta({
        name: 'x',
        kind: 'folder',
        origin: '/photos',
        side: 2,
        channels: 1,
        invertLightBorder: false,
      });
      const ids = cat.add([item(1, 'cats'), item(2, 'dogs'), item(3, 'cats'), item(4, null)]);
      assert.deepEqual(
        ids.map((r) => r.id),
        [1, 2, 3, 4],
      );
      assert.deepEqual(
        cat.add([item(3, 'cats', { source: 'copy-of-3.png' })]).map((r) => [r.id, r.duplicate]),
        [[3, true]],
        'the same bytes (sha256) are not added twice',
      );
      assert.deepEqual(cat.labelNames(), ['cats', 'dogs']);
      assert.equal(cat.count(), 4);
      assert.deepEqual(cat.item(2)?.label, 1);
      assert.equal(cat.item(4)?.label, null);
      assert.deepEqual([...(cat.input(3) ?? [])], [3, 4, 5, 6]);
      assert.deepEqual(cat.thumbnail(1), { bytes: Uint8Array.from([9, 1]), type: 'image/png' });
      assert.equal(cat.findBySha256('sha-3')?.id, 3);
      assert.equal(cat.findBySha256('nope'), undefined);
      const page = cat.items({ offset: 0, limit: 10, label: 0 });
      assert.deepEqual(page.total, 2);
      assert.deepEqual(
        page.items.map((i) => i.id),
        [1, 3],
      );
      assert.deepEqual(
        cat.countsByLabel(),
        new Map([
          [0, 2],
          [1, 1],
          [-1, 1],
        ]),
      );
      assert.deepEqual(cat.remove([2, 99]), [2]);
      assert.equal(cat.item(2), undefined);
      const [next] = cat.add([item(5, 'dogs')]);
      assert.equal(next?.id, 5, 'a removed id is not given out again');
      assert.deepEqual(
        cat.changesSince(0).map((c) => [c.itemId, c.op]),
        [
          [1, 'add'],
          [2, 'add'],
          [3, 'add'],
          [4, 'add'],
          [2, 'remove'],
          [5, 'add'],
        ],
      );
      assert.deepEqual(
        cat.changesSince(5).map((c) => c.itemId),
        [5],
      );
      assert.equal(cat.lastSeq(), 6);
      assert.deepEqual([...cat.ids()], [1, 3, 4, 5]);
      assert.equal(cat.itemsUnder('/photos').length, 4);
      assert.equal(cat.itemsUnder('/elsewhere').length, 0);
    } finally {
      cat.close();
    }
  });

  it('stores codes per model and reads inputs in id-ordered batches from a second connection', () => {
    const file = join(dir, 'b.db');
    const writer = Catalogue.open(file, { create: true });
    const reader = Catalogue.open(file);
    try {
      writer.add([item(1, 'a'), item(2, 'b'), item(3, 'a')]);
      writer.setCodes('hash1', [
        [1, Float32Array.from([0.5, 1])],
        [3, Float32Array.from([2, -1])],
      ]);
      writer.setCodes('hash2', [[1, Float32Array.from([9, 9])]]);
      assert.deepEqual([...(reader.code('hash1', 3) ?? [])], [2, -1]);
      assert.deepEqual([...(reader.code('hash2', 1) ?? [])], [9, 9]);
      assert.equal(reader.code('hash1', 2), undefined);
      writer.dropCodesExcept('hash2');
      assert.equal(reader.code('hash1', 1), undefined);
      const batches = [...reader.inputBatches(2)];
      assert.deepEqual(
        batches.map((b) => [...b.ids]),
        [[1, 2], [3]],
      );
      assert.deepEqual([...(batches[0]?.labels ?? [])], [0, 1]);
      assert.deepEqual([...(batches[1]?.inputs ?? [])], [3, 4, 5, 6]);
      writer.remove([1]);
      assert.equal(reader.code('hash2', 1), undefined);
    } finally {
      reader.close();
      writer.close();
    }
  });

  it('refuses a missing file and a file that is no catalogue, naming the file', async () => {
    const missing = join(dir, 'missing.db');
    assert.throws(
      () => Catalogue.open(missing),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'NO_COLLECTION');
        assert.match(err.message, /^No collection at .*missing\.db; run `aesearch index`/);
        return true;
      },
    );
    const junk = join(dir, 'junk.db');
    await writeFile(junk, 'this is not sqlite at all, just text that is long enough to have a header');
    assert.throws(
      () => Catalogue.open(junk),
      (err: Error & { code?: string }) => {
        assert.equal(err.code, 'COLLECTION_CORRUPT');
        assert.match(err.message, /junk\.db cannot be read as a collection \(/);
        return true;
      },
    );
  });
});
