/**
 * Trained models kept in the PostgreSQL store (manifest as jsonb, each tfjs file as bytea), so a server
 * on the store needs no local files. Models are keyed by their weights hash and never change once saved.
 */
import { createError } from '../../errors.js';
import { type ModelManifest, modelManifestSchema } from '../../model/store.js';
import { query, type StorePool, transaction } from './connect.js';

/** A model as stored: its manifest and its files by relative name (e.g. `encoder/model.json`). */
export interface StoredModel {
  readonly manifest: ModelManifest;
  readonly files: ReadonlyMap<string, Uint8Array>;
}

/** Saves `model` under its weights hash in one transaction; saving the same hash again replaces it. */
export async function saveModel(store: StorePool, model: StoredModel): Promise<void> {
  const hash = model.manifest.weightsHash;
  await transaction(store, async (client) => {
    await client.query('DELETE FROM aesearch_models WHERE weights_hash = $1', [hash]);
    await client.query('INSERT INTO aesearch_models (weights_hash, manifest) VALUES ($1, $2)', [
      hash,
      JSON.stringify(model.manifest),
    ]);
    for (const [name, bytes] of model.files)
      await client.query('INSERT INTO aesearch_model_files (weights_hash, name, bytes) VALUES ($1, $2, $3)', [
        hash,
        name,
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      ]);
  });
}

/**
 * Loads the model with `weightsHash`. Throws NO_MODEL naming the store when it holds no such model,
 * MODEL_CORRUPT when its manifest is not one this aesearch reads.
 */
export async function loadModel(store: StorePool, weightsHash: string): Promise<StoredModel> {
  const where = `${store.where} (model ${weightsHash})`;
  const head = await query<{ manifest: unknown }>(
    store,
    'SELECT manifest FROM aesearch_models WHERE weights_hash = $1',
    [weightsHash],
  );
  const row = head.rows[0];
  if (row === undefined) throw createError('NO_MODEL', { where });
  const parsed = modelManifestSchema.safeParse(row.manifest);
  if (!parsed.success) throw createError('MODEL_CORRUPT', { file: where, reason: parsed.error.message });
  const files = await query<{ name: string; bytes: Buffer }>(
    store,
    'SELECT name, bytes FROM aesearch_model_files WHERE weights_hash = $1 ORDER BY name',
    [weightsHash],
  );
  return {
    manifest: parsed.data,
    files: new Map(
      files.rows.map((f) => [f.name, new Uint8Array(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength)]),
    ),
  };
}
