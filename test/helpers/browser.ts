/**
 * The page in Chromium (playwright-core, /usr/bin/chromium, never a downloaded browser) on a listening
 * app over `service`, with every page error and console error collected in `problems`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import type { SearchService } from '../../src/search/search-service.js';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-sync'];

/** An opened page and how to close it (browser, then server). */
export interface OpenPage {
  readonly url: string;
  readonly browser: Browser;
  readonly page: Page;
  readonly problems: string[];
  close(): Promise<void>;
}

/** Serves `service` on 127.0.0.1 at a free port and opens the page once it says it is ready. */
export async function openPage(service: SearchService): Promise<OpenPage> {
  const app = createApp(fixedProvider(service, { name: 'cpu', description: 'cpu (test)' }), {
    maxUploadBytes: 1024 * 1024,
    publicDir: join(PACKAGE_ROOT, 'public'),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const problems: string[] = [];
  const page = await browser.newPage({ viewport: { width: 1360, height: 1000 } });
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()}`);
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]');
  const close = async () => {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  };
  return { url, browser, page, problems, close };
}
