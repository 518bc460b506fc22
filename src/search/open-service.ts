/**
 * Opening a search service on the configured store, the one way the CLI and the server do it: the
 * embedded store (the index folder) or, with `--store postgres://...`, PostgreSQL + pgvector, where the
 * model, the collection and the build all come from the store and no local file is needed.
 */
import type { Config } from '../config.js';
import type { OpenIndexOptions } from '../store/open-index.js';
import { PgSource } from '../store/pg/pg-source.js';
import { PgStore } from '../store/pg/pg-store.js';
import { SearchService } from './search-service.js';

/** Opens the collection `config` names (see SearchService.open and PgSource.open for what they throw). */
export async function openService(
  config: Pick<Config, 'indexDir' | 'store'>,
  options: OpenIndexOptions = {},
): Promise<SearchService> {
  if (config.store === null) return SearchService.open(config.indexDir, options);
  const { source, model } = await PgSource.open(await PgStore.open(config.store));
  return SearchService.serve(model, source);
}
