/** Shared fixtures: temp folders, the bundled dataset, PNGs of dataset items. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../src/config.js';
import { encodePng } from '../../src/image/png.js';

/** Only the repository's own data/ folder: tests never depend on what the machine has installed. */
export const TEST_DATA_PATH = [join(PACKAGE_ROOT, 'data')];

/** A temp folder and the function that removes it. */
export interface TempDir {
  readonly dir: string;
  cleanup(): Promise<void>;
}

/** Makes a temp folder and returns it with a cleanup function. */
export async function tempDir(prefix = 'aesearch-test-'): Promise<TempDir> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A PNG of a side x side grayscale image. */
export function pngOf(pixels: Uint8Array, side = 28): Buffer {
  return encodePng(pixels, side, side, 1, 1);
}
