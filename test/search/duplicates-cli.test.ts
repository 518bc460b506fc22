/**
 * `aesearch duplicates` on a copy of the tiny index with an exact copy and a darker copy added: the
 * default D printed (the code distance of the darker pair), the groups as text and as JSON,
 * --max-distance, and a bad distance refused naming the option.
 */
import assert from 'node:assert/strict';
import { cp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { runCli } from '../helpers/cli.js';
import { pngOf } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

describe('aesearch duplicates', () => {
  const fx = useTinyScratch();
  let indexDir: string;

  before(async () => {
    indexDir = join(fx.scratch.dir, 'index');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const pixels = fx.tiny.dataset.database.pixels;
    // Item 7's pixels in other bytes: added as a new item, with the identical model input.
    const copy = await sharp(pngOf(pixels.subarray(7 * 784, 8 * 784)))
      .png({ compressionLevel: 2 })
      .toBuffer();
    await writeFile(join(fx.scratch.dir, 'copy-of-7.png'), copy);
    // Item 12 at 92% brightness: an edited copy, a little way off in code space.
    const darker = await sharp(pngOf(pixels.subarray(12 * 784, 13 * 784)))
      .modulate({ brightness: 0.92 })
      .png()
      .toBuffer();
    await writeFile(join(fx.scratch.dir, 'darker-12.png'), darker);
    const added = await runCli([
      'add',
      join(fx.scratch.dir, 'copy-of-7.png'),
      join(fx.scratch.dir, 'darker-12.png'),
      '--index-dir',
      indexDir,
    ]);
    assert.equal(added.code, 0, added.stderr);
  });

  it('prints the default D and the groups, the exact copy first', async () => {
    const run = await runCli(['duplicates', '--index-dir', indexDir]);
    assert.equal(run.code, 0, run.stderr);
    const printed =
      /max distance (\d+\.\d{4}) \(the default: the largest code distance of a pair that passes the copy check\)/.exec(
        run.stderr,
      );
    assert.ok(printed, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.equal(lines[0], `2 groups within ${printed[1]} in code space:`);
    const name = (id: number) => fx.tiny.dataset.classNames?.[fx.tiny.dataset.database.labels?.[id] ?? 0];
    assert.equal(lines[1], `0.0000 exact  7 (${name(7)}, fashion-mnist/7), 300 (-, copy-of-7.png)`);
    assert.equal(lines[2], `${printed[1]}  12 (${name(12)}, fashion-mnist/12), 301 (-, darker-12.png)`);
  });

  it('answers JSON, and takes --max-distance', async () => {
    const run = await runCli(['duplicates', '--max-distance', '0', '--json', '--index-dir', indexDir]);
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout);
    assert.equal(body.maxDistance, 0);
    assert.ok(body.defaultMaxDistance > 0);
    assert.equal(body.total, 1);
    assert.deepEqual(
      body.groups[0].items.map((i: { id: number }) => i.id),
      [7, 300],
    );
    assert.equal(body.groups[0].exact, true);
    assert.deepEqual(Object.keys(body.groups[0].items[1]), ['id', 'label', 'labelName', 'source']);
  });

  it('refuses a negative distance, naming the option', async () => {
    const run = await runCli(['duplicates', '--max-distance', '-1', '--index-dir', indexDir]);
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /option '--max-distance <D>' argument '-1' is invalid\. expected a finite number of at least 0, got "-1"/,
    );
  });
});
