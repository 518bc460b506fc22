/**
 * Slow clients: reading an upload's body holds no search slot, so 64 uploads trickling in leave a normal
 * upload answered (200 while they still wait); a body that stalls gets 408 REQUEST_TIMEOUT and its
 * connection is closed; one client address gets at most `uploadsPerClient` uploads at a time (429
 * TOO_MANY_UPLOADS), and the bytes of uploads in flight are capped (503 UPLOADS_BUSY). Every wait is
 * bounded; no assertion is about time, only about what is answered before what.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Config, DEFAULT_UPLOAD_LIMITS, loadConfig, PACKAGE_ROOT } from '../../src/config.js';
import { createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import type { SearchService } from '../../src/search/search-service.js';
import { pngOf } from '../helpers/fixtures.js';
import { TEST_BACKEND } from '../helpers/http.js';
import {
  type Listening,
  listenApp,
  type RawResponse,
  searchesInFlight,
  slowUpload,
  until,
  uploadsInFlight,
} from '../helpers/listen.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

type UploadLimits = Pick<
  Config,
  | 'uploadSeconds'
  | 'uploadGraceSeconds'
  | 'uploadMinBytesPerSecond'
  | 'uploadsPerClient'
  | 'uploadBytesInFlight'
>;

/** Limits no test reaches unless it lowers one: slow machines must not turn a held upload into a 408. */
const PATIENT: UploadLimits = {
  ...DEFAULT_UPLOAD_LIMITS,
  uploadSeconds: 3600,
  uploadGraceSeconds: 3600,
  uploadsPerClient: 1000,
};

function expectError(
  res: Pick<RawResponse, 'status' | 'body'>,
  status: number,
  code: string,
  message: string | RegExp,
): void {
  assert.equal(res.status, status, res.body);
  const body = JSON.parse(res.body) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ['error']);
  assert.equal(body.error.code, code);
  if (typeof message === 'string') assert.equal(body.error.message, message);
  else assert.match(body.error.message, message);
}

describe('upload limits in the configuration', () => {
  it('reads each from its AESEARCH_ variable and refuses a byte limit below the upload limit', () => {
    const config = loadConfig(
      {},
      {
        AESEARCH_UPLOAD_SECONDS: '30',
        AESEARCH_UPLOAD_GRACE_SECONDS: '2.5',
        AESEARCH_UPLOAD_MIN_BYTES_PER_SECOND: '1000',
        AESEARCH_UPLOADS_PER_CLIENT: '3',
        AESEARCH_UPLOAD_BYTES_IN_FLIGHT: '20000000',
      },
    );
    assert.deepEqual(
      [
        config.uploadSeconds,
        config.uploadGraceSeconds,
        config.uploadMinBytesPerSecond,
        config.uploadsPerClient,
        config.uploadBytesInFlight,
      ],
      [30, 2.5, 1000, 3, 20_000_000],
    );
    assert.throws(() => loadConfig({}, { AESEARCH_UPLOAD_BYTES_IN_FLIGHT: '1000' }), {
      code: 'BAD_OPTION',
      message:
        'Expected uploadBytesInFlight (AESEARCH_UPLOAD_BYTES_IN_FLIGHT) to be at least the upload limit (maxUploadBytes) but received 1000',
    });
  });
});

describe('slow clients', () => {
  let tiny: TinyIndex;
  let service: SearchService;
  let png: Buffer;
  const open: Listening[] = [];

  before(async () => {
    tiny = await buildTinyIndex();
    service = await tiny.open();
    png = await pngOf(await service.itemPixels(5));
  });
  after(async () => {
    await Promise.all(open.map((l) => l.close()));
    await service.close();
    await tiny.cleanup();
  });

  /** A server on the tiny index with the patient limits but for `limits`. */
  const serve = async (limits: Partial<UploadLimits>): Promise<string> => {
    const config = {
      maxUploadBytes: 1024 * 1024,
      publicDir: join(PACKAGE_ROOT, 'public'),
      ...PATIENT,
      ...limits,
    };
    const listening = await listenApp(createApp(fixedProvider(service, TEST_BACKEND), config));
    open.push(listening);
    return listening.url;
  };

  const search = async (url: string) => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(png)]), 'q.png');
    const res = await fetch(`${url}api/search?k=2`, { method: 'POST', body: form });
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
  };

  it('answers a normal upload while 64 uploads trickle in, then answers them too', async () => {
    const url = await serve({});
    const trickling = Array.from({ length: 64 }, () => slowUpload(url, png, 10));
    await until('64 uploads in flight', async () => (await uploadsInFlight(url)).count === 64);
    for (const t of trickling) t.more(1);
    const normal = await search(url);
    assert.equal(normal.status, 200, normal.body);
    assert.equal(trickling.filter((t) => t.answered()).length, 0, 'the trickling uploads still wait');
    assert.equal(await searchesInFlight(url), 0, 'reading a body holds no search slot');
    const statuses = await Promise.all(trickling.map(async (t) => (await t.finish()).status));
    assert.deepEqual(statuses, Array(64).fill(200));
  });

  it('answers a body that stalls with 408 REQUEST_TIMEOUT and closes its connection', async () => {
    // A second of grace: the normal upload below must not be caught by a scheduling stall.
    const url = await serve({ uploadGraceSeconds: 1, uploadMinBytesPerSecond: 1024 * 1024 });
    const stalled = slowUpload(url, png, 10);
    expectError(
      await stalled.response,
      408,
      'REQUEST_TIMEOUT',
      /^Expected the request body to arrive at 1 MB\/s or faster after its first 1 s, and in full within 3600 s, but received \d+ bytes of \d+(\.\d)? (bytes|KB) in \d+\.\d s; send it over a faster connection, or a smaller image$/,
    );
    await stalled.closed;
    await until('the stalled upload to be forgotten', async () => (await uploadsInFlight(url)).count === 0);
    assert.equal((await search(url)).status, 200, 'other uploads are served');

    const slowUrl = await serve({ uploadSeconds: 0.3, uploadMinBytesPerSecond: 1 });
    const late = slowUpload(slowUrl, png, 10);
    expectError(
      await late.response,
      408,
      'REQUEST_TIMEOUT',
      /^Expected the request body to arrive at 1 bytes\/s or faster after its first 3600 s, and in full within 0\.3 s, but received /,
    );
    await late.closed;
  });

  it('refuses a client address an upload past its limit with 429 TOO_MANY_UPLOADS, not other addresses', async () => {
    const url = await serve({ uploadsPerClient: 2 });
    const held = [slowUpload(url, png), slowUpload(url, png)];
    await until('2 uploads in flight', async () => (await uploadsInFlight(url)).count === 2);
    const refused = await search(url);
    assert.equal(refused.retryAfter, '1');
    expectError(
      refused,
      429,
      'TOO_MANY_UPLOADS',
      'Expected at most 2 uploads at a time from one client address but received another from 127.0.0.1; wait for an answer before sending the next one (retry in 1 s, as the Retry-After header says)',
    );
    const elsewhere = slowUpload(url, png, 10, '127.0.0.2');
    assert.equal((await elsewhere.finish()).status, 200, 'another address is not refused');
    assert.deepEqual(await Promise.all(held.map(async (h) => (await h.finish()).status)), [200, 200]);
    await until('the uploads to be over', async () => (await uploadsInFlight(url)).count === 0);
    assert.equal((await search(url)).status, 200, 'served again once the uploads are answered');
  });

  it('refuses an upload with 503 UPLOADS_BUSY while the bytes in flight would pass the limit', async () => {
    const limit = Math.round(png.length * 1.5);
    const url = await serve({ uploadBytesInFlight: limit });
    const held = slowUpload(url, png, 10);
    await until('the upload in flight', async () => (await uploadsInFlight(url)).count === 1);
    held.more(png.length - 20);
    await until('the held bytes', async () => (await uploadsInFlight(url)).bytes >= png.length - 20);
    const refused = await search(url);
    assert.equal(refused.retryAfter, '1');
    expectError(
      refused,
      503,
      'UPLOADS_BUSY',
      /^The server is receiving [\d.]+ (bytes|KB) of uploads and this one would pass its limit of [\d.]+ (bytes|KB); retry in 1 s, as the Retry-After header says$/,
    );
    assert.equal((await held.finish()).status, 200);
    await until('the uploads to be over', async () => (await uploadsInFlight(url)).count === 0);
    assert.equal((await search(url)).status, 200, 'served again once the bytes are freed');
  });
});
