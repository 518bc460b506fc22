/**
 * End to end: `aesearch eval --copies --json` on a folder of colour shapes made here, with a tiny model
 * trained on it and no index (so the code database is embedded in memory): the JSON shape, recall values
 * in range, the unedited control found first, the table on stderr and copies.json written. And the
 * library call on IDX data, whose originals are the items' pixels, against a saved index.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadDataset } from '../../src/dataset/load.js';
import { runCopies } from '../../src/eval/copies.js';
import { COPY_EDITS } from '../../src/eval/copies-edits.js';
import { loadModel } from '../../src/model/store.js';
import { useTestBackend } from '../helpers/backend.js';
import { runCli } from '../helpers/cli.js';
import { type TempDir, tempDir } from '../helpers/fixtures.js';
import { buildTinyIndex, type TinyIndex, trainBriefly } from '../helpers/tiny-index.js';
import { makeColourFolder } from './copies-fixture.js';

const IMAGES = 80;
const ITEMS = 24;

function inUnit(value: unknown, what: string): void {
  assert.equal(typeof value, 'number', what);
  assert.ok((value as number) >= 0 && (value as number) <= 1, `${what} = ${value}`);
}

describe('aesearch eval --copies', () => {
  let temp: TempDir;
  let data: string;
  let indexDir: string;

  before(async () => {
    await useTestBackend();
    temp = await tempDir('aesearch-copies-');
    data = join(temp.dir, 'shapes');
    indexDir = join(temp.dir, 'index');
    await makeColourFolder(data, IMAGES, 48);
    const dataset = await loadDataset({ data, searchPath: [] });
    await trainBriefly(indexDir, dataset, { codeSize: 8, hidden: [32], steps: 3, seed: 3 });
  });
  after(() => temp.cleanup());

  it('prints { copies } with recall@1 and @10 per edit and space, finds the unedited original first, and writes copies.json', async () => {
    const args = ['eval', '--copies', '--copies-items', String(ITEMS), '--json', '--data', data];
    const run = await runCli([...args, '--index-dir', indexDir]);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    const { copies } = report;
    assert.equal(copies.items, ITEMS);
    assert.equal(copies.database, IMAGES, 'every image of a folder is in the database');
    assert.equal(copies.originals, 'files');
    assert.deepEqual(Object.keys(copies.edits), [...COPY_EDITS]);
    for (const edit of COPY_EDITS) {
      for (const space of ['code', 'pixel']) {
        const r = copies.edits[edit][space];
        assert.deepEqual(Object.keys(r), ['recall1', 'recall10'], `${edit}.${space}`);
        inUnit(r.recall1, `${edit}.${space}.recall1`);
        inUnit(r.recall10, `${edit}.${space}.recall10`);
        assert.ok(
          r.recall10 >= r.recall1,
          `${edit}.${space}: recall@10 ${r.recall10} < recall@1 ${r.recall1}`,
        );
      }
    }
    // The control decodes to exactly the database item's pixels, so its distance is 0 in both spaces.
    assert.deepEqual(copies.edits.original.pixel, { recall1: 1, recall10: 1 });
    assert.equal(copies.edits.original.code.recall10, 1);
    assert.ok(copies.timings.editSeconds > 0 && copies.seconds >= copies.timings.editSeconds);
    assert.equal(report.model.codeSize, 8);
    assert.match(run.stderr, /no index at .*manifest\.json; built an HNSW index in memory/);
    assert.match(run.stderr, /copies: 24 of 80 database items \(seed 15\), originals from their files/);
    assert.match(run.stderr, /\noverlay +(\d\.\d{3} +){3}\d\.\d{3}\n/);
    const written = JSON.parse(await readFile(join(indexDir, 'eval', 'copies.json'), 'utf8'));
    assert.deepEqual(written, report);
  });

  it('uses the codes of an index built from the same folder instead of embedding it again', async () => {
    const index = await runCli(['index', '--data', data, '--index-dir', indexDir]);
    assert.equal(index.code, 0, index.stderr);
    const args = ['eval', '--copies', '--copies-items', '4', '--json', '--data', data];
    const run = await runCli([...args, '--index-dir', indexDir]);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr, /not exactly this dataset|built an HNSW index in memory/);
    assert.equal(JSON.parse(run.stdout).copies.items, 4);
  });
});

describe('runCopies on IDX data', () => {
  let tiny: TinyIndex;

  before(async () => {
    tiny = await buildTinyIndex({ limit: 200, pixel: false });
  });
  after(() => tiny.cleanup());

  it("copies the items' pixels as PNG, uses the saved index codes, finds the unedited original, and leaks no tensors", async () => {
    const model = await loadModel(tiny.indexDir);
    try {
      const options = {
        indexDir: tiny.indexDir,
        dataset: tiny.dataset,
        model,
        metric: 'l2' as const,
        items: 15,
      };
      const notes: string[] = [];
      await runCopies({ ...options, items: 1 });
      const tensors = tf.memory().numTensors;
      const report = await runCopies({ ...options, note: (n) => notes.push(n) });
      assert.equal(tf.memory().numTensors, tensors);
      assert.deepEqual(notes, []);
      assert.equal(report.originals, 'pixels');
      assert.equal(report.items, 15);
      assert.deepEqual(report.edits.original.pixel, { recall1: 1, recall10: 1 });
      assert.equal(report.edits.original.code.recall10, 1);
      assert.equal(report.protocol.jpeg, 'saved as JPEG quality 30');
      await assert.rejects(runCopies({ ...options, items: 0 }), {
        code: 'BAD_OPTION',
        message: 'Expected --copies-items to be a whole number of at least 1 but received 0',
      });
    } finally {
      model.encoder.dispose();
      model.decoder.dispose();
    }
  });
});
