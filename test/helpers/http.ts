/** Helpers for the HTTP tests: an app on a search service, and the shape of a JSON error. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type request from 'supertest';
import { PACKAGE_ROOT } from '../../src/config.js';
import { type AppOptions, createApp } from '../../src/http/app.js';
import { fixedProvider } from '../../src/http/provider.js';
import type { SearchService } from '../../src/search/search-service.js';

/** The backend the HTTP tests report. */
export const TEST_BACKEND = { name: 'cpu', description: 'cpu (test)' } as const;

/** createApp on `service`, with the repository's page and a 10 MB upload limit unless told otherwise. */
export function appFor(service: SearchService, maxUploadBytes = 10 * 1024 * 1024, options: AppOptions = {}) {
  return createApp(
    fixedProvider(service, TEST_BACKEND),
    { maxUploadBytes, publicDir: join(PACKAGE_ROOT, 'public') },
    options,
  );
}

/** Asserts a JSON error response: status, code, and the message (exactly, or matching a pattern). */
export function expectApiError(
  res: request.Response,
  status: number,
  code: string,
  message: string | RegExp,
): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.match(String(res.headers['content-type']), /^application\/json/);
  assert.deepEqual(Object.keys(res.body), ['error']);
  assert.deepEqual(Object.keys(res.body.error), ['code', 'message']);
  assert.equal(res.body.error.code, code);
  if (typeof message === 'string') assert.equal(res.body.error.message, message);
  else assert.match(res.body.error.message, message);
}
