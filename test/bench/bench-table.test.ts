/** The bench's Markdown tables: every figure of the report lands in its row, one- and two-thread runs included. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BenchReport } from '../../src/bench/run-bench.js';
import { benchTable, curveTable } from '../../src/cli/commands/bench.js';
import { DEFAULT_HNSW } from '../../src/store/vector-index.js';

const figures = (imagesPerSecond: number, threads: 1 | 2) => ({
  imagesPerSecond,
  threads,
  cpuMsPerImage: 0.5,
  finalLoss: 0.02,
  leakedTensors: 0,
});

const search = (qps: number) => ({ qps, p50Ms: 0.125, p99Ms: 0.5, recall10: 0.9991, queries: 1000 });

const report: BenchReport = {
  backend: 'wasm',
  machine: { cpu: 'Test CPU', cores: 2, memGb: 24, node: 'v20.0.0', referenceImgPerS: 6321.4 },
  train: { denseB64: 5100, denseB256: 9800, convB64: null },
  trainDetails: {
    denseB64: figures(5100, 1),
    denseB64_1t: figures(5000, 1),
    denseB64_2t: figures(4200, 2),
    denseB256: figures(9800, 2),
    denseB256_1t: figures(7000, 1),
  },
  embedImgPerS: 41000,
  index: {
    count: 70000,
    buildS: 6.25,
    insertsPerS: 15000,
    embedS: 1.5,
    params: DEFAULT_HNSW,
    pixelBuildS: 30,
  },
  search: { code: search(12000), pixel: search(900) },
  add: {
    images: 400,
    imagesPerS: 150,
    decodeOnlyPerS: 260,
    removed10: { msBefore: 0.2, msAfter: 0.21, ratio: 1.05 },
  },
  recallCurve: [
    {
      m: 16,
      efConstruction: 100,
      buildS: 4.5,
      points: [
        { ef: 16, recall10: 0.995, qps: 20000 },
        { ef: 64, recall10: 0.9999, qps: 9000 },
      ],
    },
  ],
  encodeAndSearchQps: 3000,
  bytesPerItem: 128,
  bytesPerItemPixel: 3136,
  tensorsLeakedOver10kQueries: 0,
  stores: null,
  peakRssMb: 812,
};

describe('bench tables', () => {
  it('puts each training figure with its one- and two-thread runs, n/a where one is missing', () => {
    const table = benchTable(report);
    assert.match(
      table,
      /\| train, seed dense AE, batch 64 \| 5,100 img\/s \(1 thread 5,000, 2 threads 4,200\) \|/,
    );
    assert.match(
      table,
      /\| train, seed dense AE, batch 256 \| 9,800 img\/s \(1 thread 7,000, 2 threads n\/a\) \|/,
    );
    assert.match(table, /\| train, conv AE, batch 64 \| n\/a \|/);
    assert.match(table, /\| machine speed \(seed dense AE, batch 64, 1 thread, wasm\) \| 6,321 img\/s \|/);
  });

  it('gives search, index and memory figures', () => {
    const table = benchTable(report);
    assert.match(
      table,
      /\| embed \+ index 70,000 images \(code\) \| 6\.3 s \(15,000 inserts\/s in the worker\) \|/,
    );
    assert.match(
      table,
      /\| search, code space, k=10 \| 12,000 q\/s, p50 0\.125 ms, p99 0\.500 ms, recall@10 0\.9991 \|/,
    );
    assert.match(table, /\| peak RSS \| 812 MB \|/);
  });

  it('adds the two stores side by side with --store, and nothing without', () => {
    assert.doesNotMatch(benchTable(report), /PostgreSQL/);
    const store = (qps: number, recall10: number) => ({ qps, recall10, buildSeconds: 12.5 });
    const table = benchTable({
      ...report,
      stores: {
        count: 60000,
        dims: 32,
        queries: 500,
        embedded: store(20000, 0.999),
        postgres: store(450, 0.987),
        bytesPerItem: 420,
        plans: { unfiltered: ['aesearch_items_code'], filtered: ['aesearch_items_code'] },
      },
    });
    assert.match(
      table,
      /\| code search on 60,000 codes, embedded \(hnswlib\) \| 20,000 q\/s, recall@10 0\.9990, /,
    );
    assert.match(
      table,
      /\| code search on 60,000 codes, PostgreSQL \+ pgvector \| 450 q\/s, recall@10 0\.9870, /,
    );
    assert.match(table, /\| PostgreSQL bytes per item \(table, TOAST, indexes\) \| 420 \|/);
  });

  it('writes one curve row per build with recall / queries per second per ef', () => {
    assert.equal(
      curveTable(report),
      [
        '| M | efConstruction | build s | ef 16 | ef 64 |',
        '|---|---|---|---|---|',
        '| 16 | 100 | 4.5 | 0.9950 / 20,000 | 0.9999 / 9,000 |',
      ].join('\n'),
    );
  });
});
