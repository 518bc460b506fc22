/**
 * Suite fixtures as hooks: each `use...` function registers `before` and `after` on the suite it is
 * called in and returns an object whose fields are set once `before` has run (read them in hooks and
 * tests, never while the suite is being declared).
 */
import { after, before } from 'node:test';
import type { AppOptions } from '../../src/http/app.js';
import type { SearchService } from '../../src/search/search-service.js';
import { type TempDir, tempDir } from './fixtures.js';
import { appFor } from './http.js';
import { buildTinyIndex, type TinyIndex } from './tiny-index.js';

/** A tiny index, a search service on it and createApp on the service. */
export interface TinyApp {
  readonly tiny: TinyIndex;
  readonly service: SearchService;
  readonly app: ReturnType<typeof appFor>;
}

/**
 * Before the suite: builds a tiny index, opens a service on it and wraps it in `appFor(service,
 * maxUploadBytes, options)`; after it: closes the service and removes the index.
 */
export function useTinyApp(maxUploadBytes?: number, options?: AppOptions): TinyApp {
  const fixture = {} as { -readonly [K in keyof TinyApp]: TinyApp[K] };
  before(async () => {
    fixture.tiny = await buildTinyIndex();
    fixture.service = await fixture.tiny.open();
    fixture.app = appFor(fixture.service, maxUploadBytes, options);
  });
  after(async () => {
    await fixture.service.close();
    await fixture.tiny.cleanup();
  });
  return fixture;
}

/** A tiny index and an empty temp folder to work in. */
export interface TinyScratch {
  readonly tiny: TinyIndex;
  readonly scratch: TempDir;
}

/** Before the suite: builds a tiny index and makes a temp folder; after it: removes both. */
export function useTinyScratch(): TinyScratch {
  const fixture = {} as { -readonly [K in keyof TinyScratch]: TinyScratch[K] };
  before(async () => {
    fixture.tiny = await buildTinyIndex();
    fixture.scratch = await tempDir();
  });
  after(async () => {
    await fixture.tiny.cleanup();
    await fixture.scratch.cleanup();
  });
  return fixture;
}
