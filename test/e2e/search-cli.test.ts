/**
 * `aesearch search A.png B.png DIR/`: one answer per file (a folder stands for its images, sorted by
 * name), one JSON line each with --json; a bad file prints its error and the others still run, and the
 * exit is 1 when any failed.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

describe('aesearch search with several files', () => {
  const fx = useTinyScratch();
  const env = () => ({ AESEARCH_INDEX_DIR: fx.tiny.indexDir, AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':') });
  const png = (id: number) => pngOf(fx.tiny.dataset.database.pixels.subarray(id * 784, (id + 1) * 784));

  async function files(): Promise<{ a: string; bad: string; dir: string }> {
    const { dir: root } = fx.scratch;
    const dir = join(root, 'folder');
    await mkdir(dir, { recursive: true });
    await writeFile(join(root, 'a.png'), await png(42));
    await writeFile(join(root, 'bad.png'), 'not an image');
    await writeFile(join(dir, '2.png'), await png(9));
    await writeFile(join(dir, '1.png'), await png(7));
    await writeFile(join(dir, 'notes.txt'), 'skipped: not an image name');
    return { a: join(root, 'a.png'), bad: join(root, 'bad.png'), dir };
  }

  it('prints one JSON line per file, in order, an error line for a bad one, and exits 1', async () => {
    const { a, bad, dir } = await files();
    const run = await runCli(['search', a, bad, dir, '--json', '--k', '2'], env());
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map((l) => l.file),
      [a, bad, join(dir, '1.png'), join(dir, '2.png')],
    );
    assert.deepEqual(
      [lines[0], lines[2], lines[3]].map((l) => [l.space, l.k, l.results.length, l.results[0].id]),
      [
        ['code', 2, 2, 42],
        ['code', 2, 2, 7],
        ['code', 2, 2, 9],
      ],
    );
    assert.deepEqual(lines[1], {
      file: bad,
      error: {
        code: 'NOT_AN_IMAGE',
        message: `Expected an image (PNG, JPEG, WebP or GIF) in ${bad} but could not decode it: it starts like text ("not an image"), not like any of these formats`,
      },
    });
    assert.equal(
      run.stderr.trimEnd().split('\n').at(-1),
      'aesearch: 1 of 4 images could not be searched (their errors are above); the others were answered',
    );
  });

  it('prints a table per file and the error on stderr without --json; exits 0 when every file is answered', async () => {
    const { a, bad, dir } = await files();
    const mixed = await runCli(['search', a, bad, '--k', '1'], env());
    assert.equal(mixed.code, 1);
    assert.match(mixed.stdout, new RegExp(`^1 nearest by code distance to ${a}:\\n +1\\. id +42 `));
    assert.match(mixed.stderr, /^aesearch: Expected an image \(PNG, JPEG, WebP or GIF\) in .*bad\.png but/m);
    const good = await runCli(['search', dir, '--json', '--k', '1', '--space', 'pixel'], env());
    assert.equal(good.code, 0, good.stderr);
    assert.deepEqual(
      good.stdout
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line).results[0].id),
      [7, 9],
    );
  });
});
