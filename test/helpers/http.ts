/** Helpers for the HTTP tests: an app on a search service, and the shape of a JSON error. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import request from 'supertest';
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

/** A GET expected to fail: path, status, code, and the message (exactly, or matching a pattern). */
export type ExpectedGetError = readonly [
  path: string,
  status: number,
  code: string,
  message: string | RegExp,
];

/** GETs each path from `app` in turn and asserts its JSON error (see expectApiError). */
export async function expectGetErrors(
  app: ReturnType<typeof appFor>,
  cases: readonly ExpectedGetError[],
): Promise<void> {
  for (const [path, status, code, message] of cases) {
    expectApiError(await request(app).get(path), status, code, message);
  }
}

/** The ITEM_NOT_FOUND message for `id`. */
export const noItemMessage = (id: number) =>
  `No item with id ${id} in the collection (never added, or removed); GET /api/items lists the items`;

/** The BAD_PARAMETER message for a path id that is no item id; `got` is as it is quoted. */
export const badIdMessage = (got: string) =>
  `Expected path parameter "id" to be a whole number (an item id) but received ${got}`;
