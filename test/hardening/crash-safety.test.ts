/**
 * SIGKILL at any point: `aesearch index` killed at several moments of its write (new ann folder made,
 * temp files being written, files renamed, manifest temp written) and `aesearch train` killed while it
 * writes checkpoints leave an index, model and checkpoint that load, and the search finds an item as its
 * own top hit. A later complete build removes what the killed ones left behind.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SearchService } from '../../src/search/search-service.js';
import { readCheckpointState } from '../../src/train/checkpoint.js';
import { runCli, startCli } from '../helpers/cli.js';
import { pngOf, TEST_DATA_PATH } from '../helpers/fixtures.js';
import { useTinyScratch } from '../helpers/suite.js';

const ENV = { AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':') };

async function listing(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Every name under `dir`, one level of sub-folders deep ("ann-x/code.hnsw"). */
async function tree(dir: string): Promise<string[]> {
  const names: string[] = [];
  for (const name of await listing(dir)) {
    names.push(name);
    for (const inner of await listing(join(dir, name))) names.push(`${name}/${inner}`);
  }
  return names;
}

/** Runs `args` and kills it with SIGKILL as soon as `moment` holds for the files under `dir`. */
async function killWhen(args: string[], dir: string, moment: (names: string[]) => boolean): Promise<boolean> {
  const { child, exited } = startCli(args, ENV);
  let finished = false;
  void exited.then(() => {
    finished = true;
  });
  while (!finished && !moment(await tree(dir))) await new Promise((r) => setTimeout(r, 1));
  const killedMidway = !finished;
  child.kill('SIGKILL');
  await exited;
  return killedMidway;
}

/** Opens the index, checks that item 11's image finds item 11 first in every space, and names its ann folder. */
async function assertSearchable(indexDir: string): Promise<string> {
  const service = await SearchService.open(indexDir);
  try {
    const png = await pngOf(await service.itemPixels(11));
    const found = await service.searchByImage(png, { k: 1, spaces: ['code', 'pixel'] });
    assert.equal(found.spaces.code?.results[0]?.id, 11);
    assert.equal(found.spaces.pixel?.results[0]?.id, 11);
    return service.source.manifest.dir;
  } finally {
    await service.close();
  }
}

describe('killed writers leave loadable data', { timeout: 240_000 }, () => {
  const fx = useTinyScratch();

  it('aesearch index killed at several moments of its write', async () => {
    const indexDir = join(fx.scratch.dir, 'index');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    let served = await assertSearchable(indexDir);
    const args = ['index', '--index-dir', indexDir, '--limit', '3000'];
    const isNewAnn = (name: string) => name.startsWith('ann-') && !name.startsWith(served);
    const moments: [string, (names: string[]) => boolean][] = [
      ['new ann folder made', (names) => names.some(isNewAnn)],
      [
        'codes temp file written',
        (names) => names.some((n) => isNewAnn(n) && /\/\.codes\.f32\..+\.tmp$/.test(n)),
      ],
      ['code.hnsw renamed into place', (names) => names.some((n) => isNewAnn(n) && n.endsWith('/code.hnsw'))],
      [
        'pixel.hnsw temp written',
        (names) => names.some((n) => isNewAnn(n) && /\/\.pixel\.hnsw\..+\.tmp$/.test(n)),
      ],
      ['manifest temp written', (names) => names.some((n) => /^\.manifest\.json\..+\.tmp$/.test(n))],
    ];
    let midway = 0;
    for (const [name, moment] of moments) {
      const killedMidway = await killWhen(args, indexDir, moment);
      const now = await assertSearchable(indexDir);
      if (!killedMidway) assert.notEqual(now, served, `${name}: a build that finished serves its new folder`);
      // The manifest is renamed last: a kill before its temp file exists leaves the previous index served.
      else if (name !== 'manifest temp written') assert.equal(now, served, `${name}: the previous index`);
      if (killedMidway) midway++;
      served = now;
    }
    assert.ok(midway >= 3, `at least 3 of the 5 kills landed mid-write (${midway})`);

    const run = await runCli(args, ENV);
    assert.equal(run.code, 0, run.stderr);
    const rebuilt = await assertSearchable(indexDir);
    assert.notEqual(rebuilt, served, 'the complete build is served');
    const left = await tree(indexDir);
    assert.deepEqual(
      left.filter((n) => n.startsWith('ann-') && !n.includes('/')),
      [rebuilt],
      'only the served ann folder is left',
    );
    assert.deepEqual(
      left.filter((n) => n.endsWith('.tmp')),
      [],
      'no temp file is left',
    );
  });

  it('aesearch train killed while writing checkpoints', async () => {
    const indexDir = join(fx.scratch.dir, 'train');
    await cp(fx.tiny.indexDir, indexDir, { recursive: true });
    const model = await readFile(join(indexDir, 'model.json'), 'utf8');
    const checkpoints = join(indexDir, 'train', 'checkpoint');
    const args = ['train', '--index-dir', indexDir, '--limit', '300', '--epochs', '60', '--steps', '2'];
    args.push('--code-size', '8', '--hidden', '32');
    const moments: ((names: string[]) => boolean)[] = [
      (names) => names.some((n) => /^\.checkpoint-\d+-\d+\.bin\..+\.tmp$/.test(n)),
      (names) => names.some((n) => /^\.checkpoint\.json\..+\.tmp$/.test(n)),
    ];
    for (const moment of moments) {
      assert.ok(await killWhen(args, checkpoints, moment), 'killed before training finished');
      assert.equal(await readFile(join(indexDir, 'model.json'), 'utf8'), model, 'the model is untouched');
      await assertSearchable(indexDir);
      const state = await readCheckpointState(checkpoints);
      const weights = await stat(join(checkpoints, state.weightsFile));
      const expected = [...state.variableSpecs, ...state.optimizerSpecs].reduce(
        (sum, s) => sum + s.shape.reduce((a, b) => a * b, 1) * 4,
        0,
      );
      assert.equal(weights.size, expected, 'the checkpoint named by checkpoint.json is whole');
    }
  });
});
