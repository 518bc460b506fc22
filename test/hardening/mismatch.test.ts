/**
 * A model and an index that do not belong together (weights hash, code size, dataset), a damaged or
 * missing index or model file, and a manifest that is not one are refused at load, naming the file and
 * the command that fixes it; `aesearch serve` does not start on them (exit 1, one line).
 */
import assert from 'node:assert/strict';
import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isAesearchError } from '../../src/errors.js';
import { SearchService } from '../../src/search/search-service.js';
import { runCli } from '../helpers/cli.js';
import { TEST_DATA_PATH, tempDir } from '../helpers/fixtures.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

type Json = Record<string, unknown> & { code: Record<string, unknown>; model: Record<string, unknown> };

async function readJson(file: string): Promise<Json> {
  return JSON.parse(await readFile(file, 'utf8')) as Json;
}

async function flipByte(file: string, at: number): Promise<void> {
  const bytes = await readFile(file);
  bytes[at] = (bytes[at] ?? 0) ^ 0xff;
  await writeFile(file, bytes);
}

describe('mismatched, damaged and missing files', { timeout: 120_000 }, () => {
  let a: TinyIndex;
  let b: TinyIndex;
  let scratch: { dir: string; cleanup: () => Promise<void> };
  let n = 0;

  before(async () => {
    a = await buildTinyIndex();
    b = await buildTinyIndex({ codeSize: 16, seed: 5 });
    scratch = await tempDir();
  });
  after(async () => {
    await a.cleanup();
    await b.cleanup();
    await scratch.cleanup();
  });

  /** A fresh copy of index A to damage. */
  async function copyOfA(): Promise<{ dir: string; manifest: Json; annDir: string }> {
    const dir = join(scratch.dir, `copy-${n++}`);
    await cp(a.indexDir, dir, { recursive: true });
    const manifest = await readJson(join(dir, 'manifest.json'));
    return { dir, manifest, annDir: join(dir, String(manifest.dir)) };
  }

  async function refusal(dir: string): Promise<{ code: string; message: string }> {
    try {
      const service = await SearchService.open(dir);
      await service.close();
    } catch (err) {
      if (isAesearchError(err)) return { code: err.code, message: err.message };
      throw err;
    }
    assert.fail('the index was loaded');
  }

  it('refuses an index built by another model (weights hash)', async () => {
    const { dir, manifest } = await copyOfA();
    const other = await readJson(join(b.indexDir, 'model.json'));
    await cp(join(b.indexDir, String(other.dir)), join(dir, String(other.dir)), { recursive: true });
    await cp(join(b.indexDir, 'model.json'), join(dir, 'model.json'));
    assert.deepEqual(await refusal(dir), {
      code: 'INDEX_MISMATCH',
      message: `The index (${dir}/manifest.json) was built with model ${manifest.model.weightsHash} but the current one is ${other.weightsHash}; run \`aesearch index\` to rebuild it`,
    });
  });

  it('refuses an index whose code size differs from the model', async () => {
    const { dir, manifest } = await copyOfA();
    const edited = {
      ...manifest,
      code: { ...manifest.code, dims: 16 },
      model: { ...manifest.model, codeSize: 16 },
    };
    await writeFile(join(dir, 'manifest.json'), JSON.stringify(edited));
    assert.deepEqual(await refusal(dir), {
      code: 'INDEX_MISMATCH',
      message: `The index (${dir}/manifest.json) was built with code size 16 but the current one is 8; run \`aesearch index\` to rebuild it`,
    });
  });

  it('refuses an index whose catalogue is missing or is no catalogue, naming the file', async () => {
    const gone = await copyOfA();
    const file = join(gone.dir, String(gone.manifest.catalogue));
    await rm(file);
    assert.deepEqual(await refusal(gone.dir), {
      code: 'NO_COLLECTION',
      message: `No collection at ${file}; run \`aesearch index\` to seed it from --data`,
    });

    const garbled = await copyOfA();
    const other = join(garbled.dir, String(garbled.manifest.catalogue));
    await writeFile(other, 'not a database, just text that is long enough to be read as one '.repeat(100));
    const refused = await refusal(garbled.dir);
    assert.equal(refused.code, 'COLLECTION_CORRUPT');
    assert.match(refused.message, new RegExp(`^${other} cannot be read as a collection \\(`));
  });

  it('refuses a damaged HNSW file and a missing file, naming each', async () => {
    const corrupt = await copyOfA();
    await flipByte(join(corrupt.annDir, 'code.hnsw'), 200);
    const damaged = await refusal(corrupt.dir);
    assert.equal(damaged.code, 'INDEX_CORRUPT');
    assert.match(
      damaged.message,
      new RegExp(
        `^${corrupt.annDir}/code\\.hnsw cannot be loaded \\(its sha256 [0-9a-f]{12}\\.\\.\\. differs from the manifest's [0-9a-f]{12}\\.\\.\\.\\); run \`aesearch index\` to rebuild it$`,
      ),
    );

    const missing = await copyOfA();
    await rm(join(missing.annDir, 'pixel.hnsw'));
    assert.deepEqual(await refusal(missing.dir), {
      code: 'INDEX_CORRUPT',
      message: `${missing.annDir}/pixel.hnsw cannot be loaded (the file is missing); run \`aesearch index\` to rebuild it`,
    });
  });

  it('refuses a manifest that is cut short, names files outside the index folder or has a wrong field', async () => {
    const cut = await copyOfA();
    const text = await readFile(join(cut.dir, 'manifest.json'), 'utf8');
    await writeFile(join(cut.dir, 'manifest.json'), text.slice(0, 80));
    const refusedCut = await refusal(cut.dir);
    assert.equal(refusedCut.code, 'INDEX_CORRUPT');
    assert.match(
      refusedCut.message,
      new RegExp(
        `^${cut.dir}/manifest\\.json cannot be loaded \\(.+\\); run \`aesearch index\` to rebuild it$`,
      ),
    );

    const outside = await copyOfA();
    await writeFile(
      join(outside.dir, 'manifest.json'),
      JSON.stringify({ ...outside.manifest, dir: '../../etc' }),
    );
    assert.deepEqual(await refusal(outside.dir), {
      code: 'INDEX_CORRUPT',
      message: `${outside.dir}/manifest.json cannot be loaded (its field "dir" should be a plain file name but is "../../etc"); run \`aesearch index\` to rebuild it`,
    });

    const wrong = await copyOfA();
    const code = { ...wrong.manifest.code, dims: '8' };
    await writeFile(join(wrong.dir, 'manifest.json'), JSON.stringify({ ...wrong.manifest, code }));
    assert.deepEqual(await refusal(wrong.dir), {
      code: 'INDEX_CORRUPT',
      message: `${wrong.dir}/manifest.json cannot be loaded (its field "code.dims" should be a number but is "8"); run \`aesearch index\` to rebuild it`,
    });
  });

  it('refuses a model manifest with a missing field, naming model.json and the field', async () => {
    const { dir } = await copyOfA();
    const { codeSize: _, ...model } = await readJson(join(dir, 'model.json'));
    await writeFile(join(dir, 'model.json'), JSON.stringify(model));
    assert.deepEqual(await refusal(dir), {
      code: 'MODEL_CORRUPT',
      message: `The trained model at ${dir}/model.json cannot be loaded (its field "codeSize" should be a number but is missing); run \`aesearch train\`, then \`aesearch index\``,
    });
  });

  it('refuses a model whose folder is missing or whose weights are damaged, saying to train', async () => {
    const gone = await copyOfA();
    const model = await readJson(join(gone.dir, 'model.json'));
    const modelDir = join(gone.dir, String(model.dir));
    await rm(modelDir, { recursive: true });
    assert.deepEqual(await refusal(gone.dir), {
      code: 'MODEL_CORRUPT',
      message: `The trained model at ${modelDir} cannot be loaded (${modelDir}/encoder/model.json is missing); run \`aesearch train\`, then \`aesearch index\``,
    });

    const flipped = await copyOfA();
    const weights = join(flipped.dir, String(model.dir), 'decoder', 'weights.bin');
    await flipByte(weights, 10);
    const refused = await refusal(flipped.dir);
    assert.equal(refused.code, 'MODEL_CORRUPT');
    assert.match(
      refused.message,
      /cannot be loaded \(weights hash \w+ differs from the manifest's \w+\); run `aesearch train`/,
    );
  });

  it('aesearch serve does not start on a damaged index: exit 1 and one line naming the file', async () => {
    const { dir, annDir } = await copyOfA();
    await flipByte(join(annDir, 'pixel.hnsw'), 300);
    const run = await runCli(['serve', '--port', '0', '--index-dir', dir], {
      AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':'),
    });
    assert.equal(run.code, 1);
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, run.stderr);
    assert.match(lines[0] ?? '', /^backend: /);
    assert.match(
      lines[1] ?? '',
      new RegExp(
        `^aesearch: ${annDir}/pixel\\.hnsw cannot be loaded \\(its sha256 .+\\); run \`aesearch index\` to rebuild it$`,
      ),
    );
  });
});
