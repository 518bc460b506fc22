/**
 * The unusual-query banner and the map of the collection in Debian's Chromium (playwright-core), served
 * by the real app on a tiny trained index: the banner shows for a noise upload and not for an item of the
 * collection; the map draws its points with a legend, shows a thumbnail on hover, searches by a clicked
 * point and marks the query. With AESEARCH_MAP_SCREENSHOT set, saves the map as that PNG (the one in docs/collections.md).
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import type { SearchService } from '../../src/search/search-service.js';
import { createRng } from '../../src/util/rng.js';
import { type OpenPage, openPage } from '../helpers/browser.js';
import { pngOf, tempDir } from '../helpers/fixtures.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

interface MapPoint {
  id: number;
  x: number;
  y: number;
  label: number | null;
}

/** The point farthest from its nearest other point: a click on it can pick no other. */
function loneliest(points: readonly MapPoint[]): MapPoint {
  let best = points[0] as MapPoint;
  let bestGap = -1;
  for (const p of points) {
    let gap = Number.POSITIVE_INFINITY;
    for (const q of points) if (q !== p) gap = Math.min(gap, Math.hypot(p.x - q.x, p.y - q.y));
    if (gap > bestGap) [best, bestGap] = [p, gap];
  }
  return best;
}

describe('the unusual-query banner and the map in Chromium', { timeout: 120_000 }, () => {
  let tiny: TinyIndex;
  let service: SearchService;
  let opened: OpenPage | undefined;
  let url: string;
  let page: Page;
  let scratch: { dir: string; cleanup: () => Promise<void> };
  let problems: string[] = [];

  before(async () => {
    tiny = await buildTinyIndex();
    service = await tiny.open();
    scratch = await tempDir();
    opened = await openPage(service);
    ({ url, page, problems } = opened);
  });

  after(async () => {
    await opened?.close();
    await service?.close();
    await tiny?.cleanup();
    await scratch?.cleanup();
  });

  async function upload(name: string, png: Buffer): Promise<void> {
    const file = join(scratch.dir, name);
    await writeFile(file, png);
    await page.setInputFiles('#file', file);
    await page.locator('#query-title', { hasText: name }).waitFor();
  }

  it('shows the banner for a noise upload and not for an item of the collection', async () => {
    // Salt-and-pepper noise: above every item of the tiny index (see test/http/unusual-map.test.ts).
    const rng = createRng(9);
    await upload('noise.png', await pngOf(Uint8Array.from({ length: 784 }, () => (rng() < 0.5 ? 0 : 255))));
    await page.locator('#unusual').waitFor({ state: 'visible' });
    assert.match(
      (await page.locator('#unusual').textContent()) ?? '',
      /^This image looks unlike the collection\. It scores 100\.00, more unusual than 100\.0% of the collection's items \(threshold \d{2}\.\d{2}, the 99\.5th percentile\): .*\(reconstruction error 0\.\d{4}\)/,
    );
    await upload('item.png', await pngOf(await service.itemPixels(42)));
    assert.equal(await page.locator('#unusual').isVisible(), false);
    assert.deepEqual(problems, []);
  });

  it('draws every point of the map with a legend, shows a thumbnail on hover, and searches by a clicked point', async () => {
    const map = (await (await fetch(`${url}api/map`)).json()) as { points: MapPoint[] };
    await page.waitForSelector('#map-section[data-state="ready"]');
    assert.equal(await page.locator('#map-canvas').getAttribute('data-drawn'), String(map.points.length));
    const coloured = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('#map-canvas');
      const data = canvas?.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? [];
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if ((data[i] ?? 0) > 0) painted++;
      return painted;
    });
    assert.ok(coloured > map.points.length, `${coloured} pixels painted`);
    const labels = new Set(map.points.map((p) => p.label));
    assert.equal(await page.locator('#map-legend li').count(), labels.size);
    assert.match(
      (await page.locator('#map-legend li').first().textContent()) ?? '',
      /^T-shirt\/top \(\d+\)$/,
    );

    const target = loneliest(map.points);
    await page.locator('#map-canvas').scrollIntoViewIfNeeded();
    const canvas = await page.locator('#map-canvas').boundingBox();
    assert.ok(canvas);
    const at = {
      x: canvas.x + 10 + target.x * (canvas.width - 20),
      y: canvas.y + 10 + target.y * (canvas.height - 20),
    };
    await page.mouse.move(at.x, at.y);
    await page.locator(`#map-tip[data-id="${target.id}"]`).waitFor({ state: 'visible' });
    assert.equal(
      await page.locator('#map-tip img').getAttribute('src'),
      `/api/items/${target.id}/image?size=112`,
    );
    await page.mouse.click(at.x, at.y);
    await page.locator('#query-title', { hasText: `Item ${target.id}` }).waitFor();
    assert.equal(await page.evaluate(() => location.hash), `#item=${target.id}`);
    assert.deepEqual(problems, []);
    const shot = process.env.AESEARCH_MAP_SCREENSHOT;
    if (shot) await page.locator('#map-section').screenshot({ path: shot });
  });
});
