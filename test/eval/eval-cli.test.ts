/**
 * End to end: `aesearch eval` on a tiny trained index (a few training steps on 300 bundled images):
 * the JSON shape scripts rely on, values in range, the files it writes, the in-memory HNSW fallback
 * and the baseline cache; and the library call leaks no tensors.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { OodReport } from '../../src/eval/ood.js';
import { OOD_SETS } from '../../src/eval/ood-sets.js';
import { PERTURBATIONS } from '../../src/eval/perturb.js';
import type { SpaceReport } from '../../src/eval/report.js';
import { runEval } from '../../src/eval/run-eval.js';
import { loadModel } from '../../src/model/store.js';
import { backendInfo } from '../../src/tfjs/backend.js';
import { runCli } from '../helpers/cli.js';
import { TEST_DATA_PATH } from '../helpers/fixtures.js';
import { buildTinyIndex, type TinyIndex } from '../helpers/tiny-index.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function inUnit(value: unknown, what: string): void {
  assert.equal(typeof value, 'number', what);
  assert.ok((value as number) >= 0 && (value as number) <= 1, `${what} = ${value}`);
}

function checkSpace(s: SpaceReport, name: string, dims: number): void {
  assert.equal(s.dims, dims, `${name}.dims`);
  assert.deepEqual(Object.keys(s.precision).sort(), ['1', '10', '50'], `${name}.precision keys`);
  for (const k of ['1', '10', '50']) inUnit(s.precision[k], `${name}.precision.${k}`);
  inUnit(s.map10, `${name}.map10`);
  inUnit(s.knnAccuracy, `${name}.knnAccuracy`);
  inUnit(s.mapAll, `${name}.mapAll`);
  assert.ok(s.knnAccuracy > 0.3, `${name} kNN accuracy = ${s.knnAccuracy}`);
  // chance is about 0.1 (each class a tenth of the database)
  assert.ok(s.mapAll > 0.15, `${name} mapAll = ${s.mapAll}`);
  assert.ok(s.qps > 0 && Number.isFinite(s.qps), `${name}.qps = ${s.qps}`);
  assert.equal(s.bytesPerItem, dims * 4, `${name}.bytesPerItem`);
  assert.deepEqual(
    Object.keys(s.robustness).sort(),
    ['jpeg224', 'noise', 'shift2'],
    `${name}.robustness keys`,
  );
  for (const p of PERTURBATIONS) inUnit(s.robustness[p], `${name}.robustness.${p}`);
  // chance level is 0.1 on ten balanced classes; even a barely trained space is well above it
  assert.ok((s.precision['10'] ?? 0) > 0.3, `${name} p@10 = ${s.precision['10']}`);
}

function checkOod(ood: OodReport): void {
  assert.deepEqual(Object.keys(ood.sets), [...OOD_SETS, 'fashion-mnist']);
  assert.deepEqual(ood.queries.count, 50, 'as many held-out queries as evaluated');
  assert.deepEqual(ood.basedOn, ['errorPerBit', 'gradientError', 'simplicity']);
  assert.equal(ood.profileItems, 300, 'every database item, as the build measures a small collection');
  assert.equal(ood.threshold.percentile, 99.5);
  assert.ok((ood.threshold.score ?? 0) > 90 && (ood.threshold.score ?? 101) <= 100, `${ood.threshold.score}`);
  inUnit(ood.queries.unusualShare, 'ood.queries.unusualShare');
  for (const [name, set] of Object.entries(ood.sets)) {
    assert.equal(set.count, 50, `${name}.count`);
    for (const key of ['auroc', 'errorAuroc', 'unusualShare', 'meanError'] as const)
      inUnit(set[key], `${name}.${key}`);
  }
  inUnit(ood.auroc, 'ood.auroc');
  inUnit(ood.errorAuroc, 'ood.errorAuroc');
  // Noise stands out even for the tiny model (trained on 5 batches): its edges are nothing like a garment's.
  const noise = ood.sets.noise;
  assert.ok((noise?.auroc ?? 0) > 0.95 && (noise?.unusualShare ?? 0) > 0.8, JSON.stringify(noise));
  // The same collection's own held-out queries as the "other" one: the very same images, ties throughout.
  assert.equal(ood.sets['fashion-mnist']?.auroc, 0.5);
  assert.equal(ood.sets['fashion-mnist']?.errorAuroc, 0.5);
  assert.equal(ood.sets['fashion-mnist']?.unusualShare, ood.queries.unusualShare);
}

describe('aesearch eval', () => {
  let tiny: TinyIndex;
  const env = () => ({ AESEARCH_INDEX_DIR: tiny.indexDir, AESEARCH_DATA_PATH: TEST_DATA_PATH.join(':') });

  before(async () => {
    tiny = await buildTinyIndex();
  });
  after(() => tiny.cleanup());

  it('prints one JSON object of the documented shape, with values in range, and writes report and charts', async () => {
    const out = join(tiny.indexDir, 'eval-out');
    const args = ['eval', '--json', '--queries', '50', '--out', out, '--ood-data', 'fashion-mnist'];
    const run = await runCli(args, env());
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout);
    assert.deepEqual(
      { ...report.protocol, split: undefined, origin: undefined, perturbations: undefined },
      {
        dataset: 'fashion-mnist',
        database: 300,
        queries: 50,
        queriesAvailable: tiny.dataset.queries.count,
        split: undefined,
        origin: undefined,
        metric: 'l2',
        k: [1, 10, 50],
        relevance: 'same label',
        perturbations: undefined,
        mapAll: { queries: 50, seed: 1 },
      },
    );
    for (const space of Object.values(report.spaces) as SpaceReport[]) assert.equal(space.mapAllQueries, 50);
    assert.deepEqual(Object.keys(report.spaces), ['pixel', 'pca', 'code']);
    checkSpace(report.spaces.pixel, 'pixel', 784);
    checkSpace(report.spaces.pca, 'pca', 8);
    checkSpace(report.spaces.code, 'code', 8);
    inUnit(report.spaces.code.hnswRecall10, 'hnswRecall10');
    checkOod(report.ood);
    assert.ok(report.spaces.code.hnswRecall10 > 0.9, `recall ${report.spaces.code.hnswRecall10}`);
    assert.equal(report.spaces.code.hnsw.source, 'index');
    assert.match(run.stderr, /^backend: /);
    assert.match(
      run.stderr,
      /protocol: fashion-mnist .*evaluating 300 database images with the first 50 of \d+ queries/,
    );
    assert.deepEqual(JSON.parse(await readFile(join(out, 'report.json'), 'utf8')), report);
    for (const file of ['eval-precision.png', 'eval-robustness.png']) {
      const png = await readFile(join(out, file));
      assert.ok(png.subarray(0, 8).equals(PNG_SIGNATURE), file);
    }
  });

  it('builds HNSW in memory when the saved index uses another distance, says so, and reuses cached queries and baselines', async () => {
    const out = join(tiny.indexDir, 'eval-cosine');
    const args = [
      'eval',
      '--queries',
      '30',
      '--k',
      '5',
      '--metric',
      'cosine',
      '--map-queries',
      '10',
      '--out',
      out,
    ];
    const first = await runCli(args, env());
    assert.equal(first.code, 0, first.stderr);
    assert.match(
      first.stderr,
      /the index uses l2 distance and this eval cosine; built an HNSW index in memory/,
    );
    assert.match(first.stdout, /^protocol: /);
    assert.match(first.stdout, /^pixel +784 /m);
    assert.match(first.stdout, /^code \(HNSW\) +8 /m);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.deepEqual(report.protocol.k, [5, 10]);
    assert.deepEqual(report.protocol.mapAll, { queries: 10, seed: 1 });
    assert.equal(report.spaces.pca.mapAllQueries, 10);
    assert.match(first.stdout, /mAP over the whole database on 10 of the queries \(seeded sample, seed 1\)/);
    assert.equal(report.spaces.code.hnsw.source, 'memory');
    assert.equal(report.spaces.pixel.metric, 'cosine');
    const second = await runCli(args, env());
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /perturbed queries from the cache/);
    assert.match(second.stderr, /pixel and pca figures from the cache/);
    assert.match(second.stdout, /^pixel\* +784 /m);
    const again = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(again.spaces.pixel.cached, true);
    assert.equal(again.spaces.pixel.precision['10'], report.spaces.pixel.precision['10']);
    const fresh = await runCli([...args, '--no-cache'], env());
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.doesNotMatch(fresh.stderr, /from the cache/);
    const recomputed = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(recomputed.spaces.pixel.cached, undefined);
    assert.deepEqual(recomputed.spaces.pixel.robustness, report.spaces.pixel.robustness);
    // --no-cache refreshed the cache: the next run reuses the recomputed figures
    const third = await runCli(args, env());
    assert.equal(third.code, 0, third.stderr);
    const refreshed = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    assert.equal(refreshed.spaces.pixel.cached, true);
    assert.equal(refreshed.spaces.pixel.seconds, recomputed.spaces.pixel.seconds);
  });

  it('says what to do when there is no trained model', async () => {
    const run = await runCli(['eval'], { ...env(), AESEARCH_INDEX_DIR: join(tiny.indexDir, 'nothing') });
    assert.equal(run.code, 1);
    assert.equal(
      run.stderr.trim().split('\n').at(-1),
      `aesearch: No trained model at ${join(tiny.indexDir, 'nothing', 'model.json')}; run \`aesearch train\` first`,
    );
  });

  it('leaks no tensors when run as a library call, and refuses unlabelled data', async () => {
    const model = await loadModel(tiny.indexDir);
    try {
      const options = {
        indexDir: tiny.indexDir,
        dataset: tiny.dataset,
        model,
        queries: 20,
        ks: [1],
        metric: 'l2' as const,
        backend: backendInfo().name,
        threads: 1,
        cacheDir: null,
      };
      await runEval(options); // warm-up: tfjs keeps some tensors alive after first use
      const before = tf.memory().numTensors;
      const report = await runEval(options);
      assert.equal(tf.memory().numTensors, before);
      assert.deepEqual(Object.keys(report.spaces.code.precision), ['1', '10']);
      const unlabelled = { ...tiny.dataset, database: { ...tiny.dataset.database, labels: null } };
      await assert.rejects(runEval({ ...options, dataset: unlabelled }), {
        code: 'EVAL_NEEDS_LABELS',
        message:
          'Evaluation measures label precision, but dataset fashion-mnist has no labels; use a labelled dataset (fashion-mnist, mnist, or a folder with one sub-folder per label)',
      });
    } finally {
      model.encoder.dispose();
      model.decoder.dispose();
    }
  });
});
