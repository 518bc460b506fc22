/** Tests run on the backend a user gets by default (wasm here), selected once per process. */
import { initBackend } from '../../src/tfjs/backend.js';

/** Selects the backend once; honours AESEARCH_BACKEND for runs on other backends. */
export async function useTestBackend(): Promise<void> {
  const requested = process.env.AESEARCH_BACKEND;
  await initBackend(
    requested === 'cpu' || requested === 'wasm' || requested === 'tensorflow' ? requested : 'auto',
  );
}
