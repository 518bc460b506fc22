/**
 * The index folder's cleanup reads the manifests on disk right before it deletes: a folder that
 * index/manifest.json or index/model.json names survives, whatever the caller believed.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { removeUnnamed } from '../../src/store/folder-cleanup.js';
import { tempDir } from '../helpers/fixtures.js';

async function folders(dir: string, names: readonly string[]): Promise<void> {
  for (const name of names) await mkdir(join(dir, name));
}

describe('removeUnnamed', () => {
  it('keeps the ann and model folders the manifests on disk name, removes the others', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await folders(dir, [
        'ann-old',
        'ann-current',
        'ann-building',
        'model-served',
        'model-new',
        'model-old',
        'train',
      ]);
      // another run renamed these manifests into place after the caller wrote its own
      await writeFile(
        join(dir, 'manifest.json'),
        JSON.stringify({ dir: 'ann-current', model: { dir: 'model-served' } }),
      );
      await writeFile(join(dir, 'model.json'), JSON.stringify({ dir: 'model-new' }));
      await removeUnnamed(dir, (name) => name.startsWith('ann-'));
      await removeUnnamed(dir, (name) => name.startsWith('model-'));
      assert.deepEqual((await readdir(dir)).sort(), [
        'ann-current',
        'manifest.json',
        'model-new',
        'model-served',
        'model.json',
        'train',
      ]);
    } finally {
      await cleanup();
    }
  });

  it('never removes the folder a caller asks for by name when a manifest names it', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await folders(dir, ['ann-mine', 'ann-other']);
      await writeFile(
        join(dir, 'manifest.json'),
        JSON.stringify({ dir: 'ann-mine', model: { dir: 'model-x' } }),
      );
      await removeUnnamed(dir, (name) => name === 'ann-mine');
      assert.deepEqual((await readdir(dir)).sort(), ['ann-mine', 'ann-other', 'manifest.json']);
    } finally {
      await cleanup();
    }
  });

  it('removes nothing while a manifest is there but unreadable', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      await folders(dir, ['ann-a', 'ann-b']);
      await writeFile(join(dir, 'manifest.json'), '{ half a manif');
      await removeUnnamed(dir, (name) => name.startsWith('ann-'));
      assert.deepEqual((await readdir(dir)).sort(), ['ann-a', 'ann-b', 'manifest.json']);
    } finally {
      await cleanup();
    }
  });

  it('does nothing for a folder that does not exist', async () => {
    await removeUnnamed('/nowhere/aesearch-index', () => true);
  });
});
