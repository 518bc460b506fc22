/**
 * Between another process removing an item and this server's next follow of the change log, the HNSW
 * index still holds the item: a search then leaves it out instead of failing with ITEM_NOT_FOUND.
 */
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Catalogue } from '../../src/collection/catalogue.js';
import { SearchService } from '../../src/search/search-service.js';
import { pngOf } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

describe('a removal not yet followed', () => {
  const fx = useTinyScratch();

  it('is left out of search results, and the search still answers', async () => {
    const indexDir = join(fx.scratch.dir, 'index');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const service = await SearchService.open(indexDir);
    try {
      const png = pngOf(await service.itemPixels(42));
      const other = Catalogue.open(service.embedded('test').catalogue.file);
      assert.deepEqual(other.remove([42]), [42]);
      other.close();
      const found = await service.searchByImage(png, { k: 5, spaces: ['code', 'pixel'] });
      for (const space of ['code', 'pixel'] as const) {
        const ids = found.spaces[space]?.results.map((h) => h.id) ?? [];
        assert.equal(ids.length, 4, `${space}: the other hits come back`);
        assert.ok(!ids.includes(42), space);
      }
      assert.equal(await service.follow(), 1);
      assert.equal(service.count, 299);
    } finally {
      await service.close();
    }
  });
});
