/**
 * The page in Debian's Chromium (playwright-core; never a downloaded browser), served by the real
 * server on a tiny trained index: upload through the file input, check both columns hold the API's
 * neighbours, click a result to search by it, see precision, browse, and read a rejected upload's message.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import type { SearchService } from '../../src/search/search-service.js';
import { pngOf, tempDir } from '../helpers/fixtures.js';
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
  const problems: string[] = [];
  const foreign: string[] = [];

  before(async () => {
    tiny = await buildTinyIndex();
    service = await tiny.open();
    const app = createApp(fixedProvider(service, { name: 'cpu', description: 'cpu (test)' }), {
      maxUploadBytes: 1024 * 1024,
      publicDir: join(PACKAGE_ROOT, 'public'),
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    scratch = await tempDir();
    // chromium.launch gives every run a fresh temporary user-data dir of its own.
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => {
      if (!req.url().startsWith(url) && !req.url().startsWith('data:') && !req.url().startsWith('blob:'))
        foreign.push(req.url());
    });
    await page.goto(url);
    await page.waitForSelector('body[data-ready="true"]');
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    service?.close();
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
        (img) => img.naturalWidth === 112,
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
    assert.ok(!(await columnIds(page, 'code')).includes(clicked));
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
      const thumbs = Array.from(document.querySelectorAll('#browse-grid .thumb'));
      return thumbs.length > 0 && thumbs.every((b) => (b as HTMLElement).title.endsWith('Trouser'));
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

  it('loaded everything from the server itself, without errors', () => {
    assert.deepEqual(foreign, []);
    assert.deepEqual(
      problems.filter((p) => !p.includes('status of 415')),
      [],
    );
  });
});
