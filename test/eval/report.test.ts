import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { renderBarChart } from '../../src/eval/charts.js';
import {
  type CodeSpaceReport,
  type EvalReport,
  formatTable,
  precisionChart,
  robustnessChart,
  type SpaceReport,
} from '../../src/eval/report.js';
import { svgToPng } from '../../src/image/svg.js';

function space(dims: number, p10: number, cached = false): SpaceReport {
  return {
    dims,
    precision: { '1': p10 + 0.05, '10': p10, '50': p10 - 0.05 },
    map10: p10 - 0.06,
    knnAccuracy: p10 + 0.04,
    mapAll: p10 - 0.4,
    mapAllQueries: 1000,
    qps: 1234.4,
    bytesPerItem: dims * 4,
    robustness: { shift2: 0.5, noise: p10 - 0.01, jpeg224: p10 - 0.02 },
    metric: 'l2',
    method: 'exact',
    seconds: 1,
    ...(cached ? { cached } : {}),
  };
}

const code: CodeSpaceReport = {
  ...space(32, 0.8),
  exactQps: 5000,
  hnswRecall10: 0.9987,
  hnsw: {
    precision: { '1': 0.85, '10': 0.799, '50': 0.75 },
    map10: 0.74,
    knnAccuracy: 0.838,
    qps: 9000,
    recall10: 0.9987,
    source: 'index',
    m: 16,
    efConstruction: 100,
    efSearch: 64,
    indexBytesPerItem: 300,
  },
};

const report: EvalReport = {
  protocol: {
    dataset: 'fashion-mnist',
    database: 60000,
    queries: 10000,
    queriesAvailable: 10000,
    split: 'database = train split (60000), queries = test split (10000)',
    origin: '/usr/share/datasets/fashion-mnist',
    metric: 'l2',
    k: [1, 10, 50],
    relevance: 'same label',
    perturbations: { shift2: 'a', noise: 'b', jpeg224: 'c' },
    mapAll: { queries: 1000, seed: 1 },
  },
  spaces: { pixel: space(784, 0.805, true), pca: space(32, 0.801, true), code },
  model: {},
  notes: [],
  ood: {
    auroc: 0.97,
    errorAuroc: 0.6,
    score: 'the unusual-query score',
    basedOn: ['errorPerBit', 'gradientError', 'simplicity'],
    threshold: { percentile: 99.5, score: 99.7 },
    profileItems: 20000,
    seed: 14,
    queries: { count: 500, meanError: 0.01, unusualShare: 0.004 },
    sets: {
      noise: { count: 500, auroc: 1, errorAuroc: 1, unusualShare: 1, meanError: 0.3, method: 'n' },
      flat: {
        count: 500,
        auroc: 0.9873,
        errorAuroc: 0.2161,
        unusualShare: 0.9,
        meanError: 0.02,
        method: 'f',
      },
    },
  },
  backend: 'wasm',
  timings: { perturbSeconds: 1, codeDatabaseSeconds: 1, totalSeconds: 1 },
  seconds: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('eval report', () => {
  it('formats one aligned row per space, code twice (exact and HNSW), marking cached rows', () => {
    const lines = formatTable(report).trimEnd().split('\n');
    assert.match(
      lines[0] ?? '',
      /^space +dims +p@1 +p@10 +p@50 +mAP@10 +kNN acc +mAP all +shift2 +noise +jpeg224 +qps +bytes$/,
    );
    assert.match(
      lines[1] ?? '',
      /^pixel\* +784 +0\.855 +0\.805 +0\.755 +0\.745 +0\.845 +0\.405 +0\.500 +0\.795 +0\.785 +1234 +3136$/,
    );
    assert.match(lines[3] ?? '', /^code +32 +0\.850 +0\.800 +0\.750 +0\.740 +0\.840 +0\.400 .* 5000 +128$/);
    // HNSW ranks only the top k: kNN accuracy, but no mAP over the whole database
    assert.match(
      lines[4] ?? '',
      /^code \(HNSW\) +32 +0\.850 +0\.799 +0\.750 +0\.740 +0\.838 {12}0\.500 .* 9000 +128$/,
    );
    assert.ok(lines.includes('* from the cache of an earlier run with the same data and protocol'));
    assert.match(lines.at(-3) ?? '', /recall@10 vs exact 0\.9987 \(ef 64, the built index\)/);
    assert.equal(
      lines.at(-2),
      'kNN acc = label of the majority of the 10 nearest (ties to the nearest); ' +
        'mAP all = mAP over the whole ranked database, on 1000 of the queries (seeded sample, seed 1)',
    );
    assert.equal(
      lines.at(-1),
      'out-of-distribution AUROC by unusual-query score 0.970, by reconstruction error 0.600 ' +
        '(by set, error in brackets: noise 1.000 (1.000), flat 0.987 (0.216); ' +
        '500 held-out queries vs as many of each set; 0.4% of the queries flagged unusual)',
    );
  });

  it('draws a bar with its value for every space and group, a legend and the title', () => {
    const svg = precisionChart(report);
    assert.match(svg, /^<svg [^>]*width="860"/);
    assert.match(svg, /Label precision by search space/);
    assert.match(svg, /60,000 database images, 10,000 queries/);
    for (const name of ['pixel (784-d)', 'PCA (32-d)', 'code (32-d)'])
      assert.ok(svg.includes(`>${name}<`), name);
    for (const label of ['precision@1', 'precision@10', 'precision@50', 'mAP@10'])
      assert.ok(svg.includes(`>${label}<`));
    assert.equal(svg.match(/<rect x=/g)?.length, 4 * 3 + 3, 'twelve bars and three legend swatches');
    assert.ok(svg.includes('>0.805<') && svg.includes('>0.801<') && svg.includes('>0.800<'));
    const robust = robustnessChart(report);
    for (const label of ['clean', 'shift2', 'noise', 'jpeg224']) assert.ok(robust.includes(`>${label}<`));
    assert.ok(robust.includes('>0.500<'));
  });

  it('escapes text and scales bars to the axis', () => {
    const svg = renderBarChart({
      title: 'a < b & "c"',
      yLabel: 'y',
      groups: ['g'],
      series: [{ name: 's', values: [0.5] }],
      height: 480,
    });
    assert.ok(svg.includes('a &#60; b &#38; &#34;c&#34;'));
    // plot height = 480 - top (88) - bottom (56) = 336: a value of 0.5 is 168 px tall
    assert.match(svg, /<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="168\.0"/);
  });

  it('rasterises a chart to a PNG at twice the SVG size', async () => {
    const png = await svgToPng(precisionChart(report));
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.equal(meta.width, 1720);
  });
});
