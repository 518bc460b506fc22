/**
 * The page in Debian's Chromium (playwright-core; never a downloaded browser), served by the real
 * server on a tiny trained index: upload through the file input, check both columns hold the API's
 * neighbours, click a result to search by it, see precision, browse, and read a rejected upload's message.
 * Then, on a second server (a copy of the index, with an admin token): colour originals in the results,
 * the token control, "Add to collection" and "Remove".
 */
import assert from 'node:assert/strict';
import { cp, mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import sharp from 'sharp';
import { PACKAGE_ROOT } from '../../src/config.js';
import { loadDataset } from '../../src/dataset/load.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import type { SearchService } from '../../src/search/search-service.js';
import { pngOf, TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT_DIR = join(PACKAGE_ROOT, 'test-output');
const TOKEN = 'a-token-of-sixteen-chars-or-more';

interface Hit {
  id: number;
  label: number;
}
interface SearchBody {
  query: { id: number | null; label: number | null };
  spaces: Record<'code' | 'pixel', { results: Hit[]; precision: number | null; agreement: number | null }>;
}

/** Ids shown in a result column, in order. */
function columnIds(page: Page, space: 'code' | 'pixel'): Promise<number[]> {
  return page.$$eval(`.column[data-space="${space}"] .hit`, (els) =>
    els.map((e) => Number((e as HTMLElement).dataset.id)),
  );
}

/** The text of the first element matching `selector`. */
async function text(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? '';
}

function metricText(page: Page, space: 'code' | 'pixel'): Promise<string> {
  return text(page, `.column[data-space="${space}"] [data-role="metric"]`);
}

describe('the web page in Chromium', { timeout: 120_000 }, () => {
  let tiny: TinyIndex;
  let service: SearchService;
  let server: Server;
  let url: string;
  let browser: Browser;
  let scratch: { dir: string; cleanup: () => Promise<void> };
  let page: Page;
  /** A server with an admin token on a copy of the tiny index, so changes leave the other tests alone. */
  let admin: TestServer;
  let adminPage: Page;
  const problems: string[] = [];
  const foreign: string[] = [];

  /** A page on `base` that reports errors and requests elsewhere, once it is ready. */
  async function openPage(base: string): Promise<Page> {
    const opened = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    opened.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    opened.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    opened.on('request', (req) => {
      if (!req.url().startsWith(base) && !req.url().startsWith('data:') && !req.url().startsWith('blob:'))
        foreign.push(req.url());
    });
    await opened.goto(base);
    await opened.waitForSelector('body[data-ready="true"]');
    return opened;
  }

  before(async () => {
    tiny = await buildTinyIndex();
    scratch = await tempDir();
    const adminIndex = join(scratch.dir, 'admin-index');
    await cp(tiny.indexDir, adminIndex, { recursive: true });
    admin = await startTestServer(adminIndex, { adminToken: TOKEN });
    service = await tiny.open();
    const app = createApp(fixedProvider(service, { name: 'cpu', description: 'cpu (test)' }), {
      maxUploadBytes: 1024 * 1024,
      publicDir: join(PACKAGE_ROOT, 'public'),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    // chromium.launch gives every run a fresh temporary user-data dir of its own.
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = await openPage(url);
    adminPage = await openPage(admin.url);
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    await admin?.close();
    await service?.close();
    await tiny?.cleanup();
    await scratch?.cleanup();
  });

  /** What the API answers for the same PNG, asked directly. */
  async function apiSearch(png: Buffer, k: number): Promise<SearchBody> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), 'query.png');
    const res = await fetch(`${url}api/search?k=${k}&space=both`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    return (await res.json()) as SearchBody;
  }

  async function apiSimilar(id: number, k: number): Promise<SearchBody> {
    const res = await fetch(`${url}api/items/${id}/similar?k=${k}&space=both`);
    assert.equal(res.status, 200);
    return (await res.json()) as SearchBody;
  }

  it('shows dataset, item count, code size and backend in the header', async () => {
    const stat = (name: string) => text(page, `[data-stat="${name}"]`);
    assert.equal(await stat('dataset'), 'fashion-mnist');
    assert.equal(await stat('items'), '300');
    assert.equal(await stat('code'), '8-d dense');
    assert.equal(await stat('backend'), 'cpu');
  });

  it('uploads a PNG, fills both columns with the API neighbours, and searches again by a clicked result', async () => {
    const { queries } = tiny.dataset;
    const png = await pngOf(queries.pixels.subarray(0, 784));
    const file = join(scratch.dir, 'query.png');
    await writeFile(file, png);
    await page.setInputFiles('#file', file);
    await page.locator('.column[data-space="code"] .hit').first().waitFor();
    await page.locator('.column[data-space="pixel"] .hit').first().waitFor();

    const expected = await apiSearch(png, 10);
    const byCode = await columnIds(page, 'code');
    const byPixel = await columnIds(page, 'pixel');
    assert.deepEqual(
      byCode,
      expected.spaces.code.results.map((h) => h.id),
    );
    assert.deepEqual(
      byPixel,
      expected.spaces.pixel.results.map((h) => h.id),
    );
    assert.equal(byCode.length, 10);
    assert.match(await text(page, '#query-title'), /query\.png/);
    assert.equal(
      await metricText(page, 'code'),
      `${Math.round((expected.spaces.code.agreement ?? -1) * 100)}%agreement`,
    );
    assert.match(await text(page, '.column[data-space="code"] [data-role="ms"]'), /^\d+\.\d ms$/);
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll<HTMLImageElement>('.hit img')).every(
        (img) => img.naturalWidth === 224,
      ),
    );

    const clicked = byPixel[1] as number;
    await page.locator(`.column[data-space="pixel"] .hit[data-id="${clicked}"]`).click();
    await page.locator('#query-title', { hasText: `Item ${clicked}` }).waitFor();
    const similar = await apiSimilar(clicked, 10);
    assert.deepEqual(
      await columnIds(page, 'code'),
      similar.spaces.code.results.map((h) => h.id),
    );
    assert.deepEqual(
      await columnIds(page, 'pixel'),
      similar.spaces.pixel.results.map((h) => h.id),
    );
    assert.ok(
      !(await columnIds(page, 'code')).includes(clicked),
      'the clicked item is among its own neighbours',
    );
    for (const space of ['code', 'pixel'] as const) {
      const precision = Math.round((similar.spaces[space].precision ?? -1) * 100);
      assert.equal(await metricText(page, space), `${precision}%precision@10`);
    }
    assert.match(await text(page, '#verdict'), new RegExp(`^Item ${clicked} is labelled `));
    assert.equal(await page.evaluate(() => location.hash), `#item=${clicked}`);

    await mkdir(OUTPUT_DIR, { recursive: true });
    await page.screenshot({ path: join(OUTPUT_DIR, 'page.png'), fullPage: true });
  });

  it('changes k, and searches by a result chosen with the keyboard', async () => {
    await page.selectOption('#k', '5');
    await page.waitForFunction(
      () => document.querySelectorAll('.column[data-space="code"] .hit').length === 5,
    );
    const first = (await columnIds(page, 'code'))[0] as number;
    await page.locator('.column[data-space="code"] .hit').first().focus();
    await page.keyboard.press('Enter');
    await page.locator('#query-title', { hasText: `Item ${first}` }).waitFor();
    assert.match(await metricText(page, 'pixel'), /^\d+%precision@5$/);
  });

  it('browses by label and searches by a browsed item', async () => {
    await page.selectOption('#label-filter', '1');
    // every() of an empty grid is true: wait for a filled grid of trousers only
    await page.waitForFunction(() => {
      const thumbs = Array.from(document.querySelectorAll<HTMLElement>('#browse-grid .thumb'));
      return thumbs.length > 0 && thumbs.every((b) => b.dataset.label === '1' && b.title.includes('Trouser'));
    });
    const labels = tiny.dataset.database.labels;
    const trousers = [...(labels ?? [])].filter((l) => l === 1).length;
    assert.match(await text(page, '#page-info'), new RegExp(`^1–${Math.min(60, trousers)} of ${trousers}$`));
    const thumb = page.locator('#browse-grid .thumb').nth(2);
    const id = Number(await thumb.getAttribute('data-id'));
    await thumb.click();
    await page.locator('#query-title', { hasText: `Item ${id}` }).waitFor();
    assert.match(await text(page, '#query-title'), /Trouser/);
  });

  it('shows the API message when an upload is rejected', async () => {
    const file = join(scratch.dir, 'notes.png');
    await writeFile(file, 'these are notes, not a picture');
    await page.setInputFiles('#file', file);
    await page.locator('#message:not([hidden])').waitFor();
    assert.equal(
      await text(page, '#message'),
      'NOT_AN_IMAGE: Expected an image (PNG, JPEG, WebP or GIF) in field "image" but could not decode it: it starts like text ("these are notes, not a p..."), not like any of these formats',
    );
  });

  /** Adds `png` through the API with the admin token; the new item's id. */
  async function apiAdd(png: Buffer, name: string): Promise<number> {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)], { type: 'image/png' }), name);
    const res = await fetch(`${admin.url}api/items`, {
      method: 'POST',
      body: form,
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    assert.equal(res.status, 201, await res.clone().text());
    const body = (await res.json()) as { added: { id: number }[] };
    assert.equal(body.added.length, 1);
    return (body.added[0] as { id: number }).id;
  }

  /** The RGB of the centre pixel of the image `selector` shows, as the browser decoded it. */
  async function centrePixel(on: Page, selector: string): Promise<number[]> {
    await on.waitForFunction((sel) => {
      const img = document.querySelector<HTMLImageElement>(sel);
      return img?.complete === true && img.naturalWidth > 0;
    }, selector);
    return on.evaluate((sel) => {
      const img = document.querySelector(sel) as HTMLImageElement;
      const canvas = document.createElement('canvas');
      canvas.width = img.naturalWidth;
      canvas.height = img.naturalHeight;
      const context = canvas.getContext('2d') as CanvasRenderingContext2D;
      context.drawImage(img, 0, 0);
      const { data } = context.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1);
      return [data[0] ?? -1, data[1] ?? -1, data[2] ?? -1];
    }, selector);
  }

  function adminColumnIds(space: 'code' | 'pixel'): Promise<number[]> {
    return columnIds(adminPage, space);
  }

  it('shows an added colour image in colour in the results, and the model its grayscale input', async () => {
    const red = await sharp({
      create: { width: 64, height: 64, channels: 3, background: { r: 200, g: 30, b: 40 } },
    })
      .png()
      .toBuffer();
    const id = await apiAdd(red, 'red.png');
    const file = join(scratch.dir, 'red.png');
    await writeFile(file, red);
    await adminPage.setInputFiles('#file', file);
    const tile = `.column[data-space="code"] .hit[data-id="${id}"]`;
    await adminPage.locator(tile).waitFor();
    assert.equal((await adminColumnIds('code'))[0], id, 'the red image is its own top hit');
    assert.equal(await adminPage.getAttribute(`${tile} img`, 'src'), `/api/items/${id}/image?size=224`);
    assert.match((await adminPage.getAttribute(tile, 'title')) ?? '', /\nred\.png$/);
    const [r = 0, g = 0, b = 0] = await centrePixel(adminPage, `${tile} img`);
    assert.ok(r > g + 50 && r > b + 50, `a red tile, got rgb(${r}, ${g}, ${b})`);
    const [ir, ig, ib] = await centrePixel(adminPage, '#query-input');
    assert.ok(ir === ig && ig === ib, `the model sees grayscale, got rgb(${ir}, ${ig}, ${ib})`);
    assert.equal(await text(adminPage, '[data-stat="items"]'), '300', 'the header counted before the add');
  });

  it('with the token typed in, adds the query image with a label; it is then its own top hit', async () => {
    assert.equal(await adminPage.locator('#add-form').isHidden(), true, 'no add form without a token');
    assert.equal(await adminPage.locator('.column .remove').first().isVisible(), false);
    await adminPage.getByRole('button', { name: 'Admin token' }).click();
    await adminPage.getByLabel('Admin token').fill(TOKEN);
    await adminPage.keyboard.press('Enter');
    await adminPage.locator('body.admin-on').waitFor();
    assert.deepEqual(
      await adminPage.evaluate(() => [
        sessionStorage.getItem('aesearch.adminToken'),
        localStorage.length,
        document.cookie,
      ]),
      [TOKEN, 0, ''],
    );
    const more = await loadDataset({ data: 'fashion-mnist', searchPath: TEST_DATA_PATH, limit: 320 });
    const shirt = pngOf(more.database.pixels.subarray(310 * 784, 311 * 784));
    const file = join(scratch.dir, 'new-shirt.png');
    await writeFile(file, shirt);
    await adminPage.setInputFiles('#file', file);
    await adminPage.locator('#query-title', { hasText: 'new-shirt.png' }).waitFor();
    assert.equal(await text(adminPage, '#add-note'), 'Adds new-shirt.png.');
    await adminPage.fill('#add-label', 'my shirts');
    await adminPage.getByRole('button', { name: 'Add to collection' }).click();
    const added = adminPage.locator('#add-report .report-added');
    await added.waitFor();
    const id = Number(await added.locator('button').getAttribute('data-id'));
    assert.ok(id > 300, `a new id, got ${id}`);
    assert.equal(await added.textContent(), `Added: new-shirt.png as item ${id} (my shirts)`);
    await adminPage.waitForFunction(
      (want) => document.querySelector<HTMLElement>('.column[data-space="code"] .hit')?.dataset.id === want,
      String(id),
    );
    assert.equal((await adminColumnIds('pixel'))[0], id, 'its own top hit by pixels too');
    assert.equal(await text(adminPage, '[data-stat="items"]'), '302');
    await adminPage.screenshot({ path: join(OUTPUT_DIR, 'page-admin.png'), fullPage: true });

    await adminPage.getByRole('button', { name: 'Add to collection' }).click();
    await adminPage.locator('#add-report .report-duplicate').waitFor();
    assert.equal(await text(adminPage, '#add-report'), `Duplicate: new-shirt.png is already item ${id}`);
  });

  it("removes an item with its tile's Remove button, from the results and from the browser", async () => {
    const id = (await adminColumnIds('code'))[0] as number;
    await adminPage
      .getByRole('button', { name: `Remove item ${id} from the collection` })
      .first()
      .click();
    await adminPage.waitForFunction(
      (gone) => document.querySelector(`.hit[data-id="${gone}"]`) === null,
      String(id),
    );
    assert.equal((await fetch(`${admin.url}api/items/${id}`)).status, 404);
    await adminPage.locator('[data-stat="items"]', { hasText: '301' }).waitFor();

    await adminPage.selectOption('#label-filter', '');
    const first = Number(await adminPage.locator('#browse-grid .thumb').first().getAttribute('data-id'));
    await adminPage.locator(`#browse-grid .tile[data-item="${first}"] .remove`).click();
    await adminPage.waitForFunction(
      (gone) => document.querySelector(`#browse-grid .thumb[data-id="${gone}"]`) === null,
      String(first),
    );
    assert.equal((await fetch(`${admin.url}api/items/${first}`)).status, 404);
    await adminPage.locator('#page-info', { hasText: 'of 300' }).waitFor();
  });

  it('shows the 401 message for a wrong token and forgets it', async () => {
    await adminPage.getByRole('button', { name: 'Admin token set' }).click();
    await adminPage.getByLabel('Admin token').fill('a-wrong-token-of-sixteen-chars');
    await adminPage.keyboard.press('Enter');
    const id = Number(await adminPage.locator('#browse-grid .thumb').first().getAttribute('data-id'));
    await adminPage.locator(`#browse-grid .tile[data-item="${id}"] .remove`).click();
    await adminPage.locator('#message:not([hidden])').waitFor();
    assert.equal(
      await text(adminPage, '#message'),
      'UNAUTHORIZED: Expected the admin token in an "Authorization: Bearer <token>" header but received a wrong token; use the value of AESEARCH_ADMIN_TOKEN',
    );
    assert.equal(await adminPage.evaluate(() => sessionStorage.getItem('aesearch.adminToken')), null);
    assert.equal(await adminPage.locator('body.admin-on').count(), 0);
    assert.equal((await fetch(`${admin.url}api/items/${id}`)).status, 200, 'the item is still there');
  });

  it('loaded everything from the server itself, without errors', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(
      problems.filter((p) => !p.includes('status of 415') && !p.includes('status of 401')),
      [],
    );
  });
});
