/**
 * The near-duplicates view in Debian's Chromium (playwright-core): on a tiny index with a planted copy
 * (the same pixels in other bytes), the view lists the pair, as GET /api/duplicates does, with its
 * thumbnails; a screenshot of it goes to test-output/duplicates.png.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { PACKAGE_ROOT } from '../../src/config.js';
import { plantedCopy, seededRandom } from '../../src/eval/planted-copies.js';
import type { SearchService } from '../../src/search/search-service.js';
import { type OpenPage, openPage } from '../helpers/browser.js';
import { pngOf } from '../helpers/fixtures.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

describe('the near-duplicates view in Chromium', { timeout: 120_000 }, () => {
  let tiny: TinyIndex;
  let service: SearchService;
  let opened: OpenPage | undefined;
  let url: string;
  let page: Page;
  let problems: string[] = [];
  let pair: [number, number];

  before(async () => {
    tiny = await buildTinyIndex();
    service = await tiny.open();
    const pixels = tiny.dataset.database.pixels;
    const png = (id: number) => pngOf(pixels.subarray(id * 784, (id + 1) * 784));
    const rng = seededRandom(3);
    const copies = [
      await sharp(png(42)).png({ compressionLevel: 1 }).toBuffer(),
      await plantedCopy(png(100), 'jpeg', rng),
      await plantedCopy(png(200), 'jpeg', rng),
    ];
    const report = await service.addImages(
      copies.map((bytes, i) => ({
        bytes,
        source: `copy-${i}.png`,
        root: null,
        labelName: null,
        mtimeMs: null,
      })),
    );
    pair = [42, report.added[0]?.id ?? -1];
    opened = await openPage(service);
    ({ url, page, problems } = opened);
  });

  after(async () => {
    await opened?.close();
    await service?.close();
    await tiny?.cleanup();
  });

  it('lists the planted pair with its thumbnails, as the API does', async () => {
    await page.click('#dup-find');
    await page.waitForSelector('#duplicates[data-loaded="true"]');
    const shown = await page.$$eval('#dup-list .dup-group', (els) =>
      els.map((e) => (e as HTMLElement).dataset.ids),
    );
    const api = (await (await fetch(`${url}api/duplicates?limit=20`)).json()) as {
      groups: { items: { id: number }[] }[];
    };
    assert.deepEqual(
      shown,
      api.groups.map((g) => g.items.map((i) => i.id).join(',')),
    );
    assert.equal(shown[0], pair.join(','));
    const first = page.locator('#dup-list .dup-group').first();
    assert.match((await first.locator('.dup-distance').textContent()) ?? '', /identical pixels/);
    const loaded = await first
      .locator('img')
      .evaluateAll((imgs) =>
        imgs.map((i) => (i as HTMLImageElement).complete && (i as HTMLImageElement).naturalWidth > 0),
      );
    assert.deepEqual(loaded, [true, true]);
    assert.match((await page.locator('#dup-summary').textContent()) ?? '', /^Groups 1-\d+ of \d+ within /);
    await page
      .locator('#duplicates')
      // Copied by hand to public/img/duplicates.png (the picture in docs/collections.md): a test never rewrites the repository.
      .screenshot({ path: join(PACKAGE_ROOT, 'test-output', 'duplicates.png') });
    assert.deepEqual(problems, []);
  });

  it('shows the API message for a bad distance', async () => {
    await page.fill('#dup-max', '-1');
    await page.evaluate(() => {
      (document.querySelector('#dup-max') as HTMLInputElement).removeAttribute('min');
    });
    await page.click('#dup-find');
    await page.waitForFunction(() => document.querySelector('#dup-message')?.textContent !== '');
    assert.equal(
      await page.locator('#dup-message').textContent(),
      'Expected query parameter "maxDistance" to be a finite number of at least 0 but received "-1"',
    );
  });
});
