/** `aesearch bench` (npm run bench): speed of training, embedding, indexing and search, as a table or JSON. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { type BenchReport, runBench } from '../../bench/run-bench.js';
import { log, openDataset, prepare } from '../context.js';
import { type CommonFlags, commonOptions } from '../options.js';

interface BenchFlags extends CommonFlags {
  json?: boolean;
}

function fmt(n: number | null, digits = 0): string {
  return n === null
    ? '-'
    : n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

/** A training figure (threads auto) with its one- and two-thread runs, e.g. "5,100 img/s (1 thread 5,000, 2 threads 4,200)". */
function trainCell(r: BenchReport, name: keyof BenchReport['train']): string {
  const auto = r.train[name];
  if (auto === null) return 'n/a';
  const on = (threads: 1 | 2) => {
    const f = r.trainDetails[`${name}_${threads}t`];
    return f ? fmt(f.imagesPerSecond) : 'n/a';
  };
  return `${fmt(auto)} img/s (1 thread ${on(1)}, 2 threads ${on(2)})`;
}

/** The report as a Markdown table. */
export function benchTable(r: BenchReport): string {
  const q = r.search;
  const rows: [string, string][] = [
    ['backend', r.backend],
    ['machine', `${r.machine.cores} x ${r.machine.cpu}, ${r.machine.memGb} GiB, Node ${r.machine.node}`],
    ['machine speed (seed dense AE, batch 64, 1 thread, wasm)', `${fmt(r.machine.referenceImgPerS)} img/s`],
    ['train, seed dense AE, batch 64', trainCell(r, 'denseB64')],
    ['train, seed dense AE, batch 256', trainCell(r, 'denseB256')],
    ['train, conv AE, batch 64', trainCell(r, 'convB64')],
    ['embed', `${fmt(r.embedImgPerS)} img/s`],
    [
      `embed + index ${fmt(r.index.count)} images (code)`,
      `${fmt(r.index.buildS, 1)} s (${fmt(r.index.insertsPerS)} inserts/s in the worker)`,
    ],
    ['pixel index build (database)', `${fmt(r.index.pixelBuildS, 1)} s`],
    [
      'search, code space, k=10',
      `${fmt(q.code.qps)} q/s, p50 ${fmt(q.code.p50Ms, 3)} ms, p99 ${fmt(q.code.p99Ms, 3)} ms, recall@10 ${fmt(q.code.recall10, 4)}`,
    ],
    [
      'search, pixel space, k=10',
      `${fmt(q.pixel.qps)} q/s, p50 ${fmt(q.pixel.p50Ms, 3)} ms, p99 ${fmt(q.pixel.p99Ms, 3)} ms, recall@10 ${fmt(q.pixel.recall10, 4)}`,
    ],
    ['encode + code search, one image', `${fmt(r.encodeAndSearchQps)} q/s`],
    ['bytes per item (code / pixel)', `${fmt(r.bytesPerItem)} / ${fmt(r.bytesPerItemPixel)}`],
    ['tensors leaked over all queries', String(r.tensorsLeakedOver10kQueries)],
    ...storeRows(r),
    ['peak RSS', `${fmt(r.peakRssMb)} MB`],
  ];
  return ['| measure | value |', '|---|---|', ...rows.map(([a, b]) => `| ${a} | ${b} |`)].join('\n');
}

/** With --store: code search on each store, the same codes and queries. */
function storeRows(r: BenchReport): [string, string][] {
  const s = r.stores;
  if (!s) return [];
  const cell = (f: { qps: number; recall10: number; buildSeconds: number }) =>
    `${fmt(f.qps)} q/s, recall@10 ${fmt(f.recall10, 4)}, loaded and indexed in ${fmt(f.buildSeconds, 1)} s`;
  return [
    [`code search on ${fmt(s.count)} codes, embedded (hnswlib)`, cell(s.embedded)],
    [`code search on ${fmt(s.count)} codes, PostgreSQL + pgvector`, cell(s.postgres)],
    ['PostgreSQL bytes per item (table, TOAST, indexes)', fmt(s.bytesPerItem)],
  ];
}

/** The recall curve as a Markdown table: one row per build, recall@10 / queries/s per search ef. */
export function curveTable(r: BenchReport): string {
  const efs = r.recallCurve[0]?.points.map((p) => p.ef) ?? [];
  const head = `| M | efConstruction | build s | ${efs.map((ef) => `ef ${ef}`).join(' | ')} |`;
  const rule = `|---|---|---|${efs.map(() => '---').join('|')}|`;
  const rows = r.recallCurve.map(
    (c) =>
      `| ${c.m} | ${c.efConstruction} | ${fmt(c.buildS, 1)} | ${c.points.map((p) => `${fmt(p.recall10, 4)} / ${fmt(p.qps)}`).join(' | ')} |`,
  );
  return [head, rule, ...rows].join('\n');
}

/** Adds the bench command to `program`. */
export function registerBench(program: Command): void {
  const cmd = program
    .command('bench')
    .description(
      'measure training, embedding, indexing and search speed in this process; prints a table, or JSON with --json; with --store postgres://..., also code search on that PostgreSQL beside the embedded index (same codes, one run)',
    )
    .option('--json', 'print one JSON object instead of the table');
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(async (flags: BenchFlags) => {
    const { config, backend } = await prepare(flags);
    const dataset = await openDataset(config);
    const workDir = await mkdtemp(join(tmpdir(), 'aesearch-bench-'));
    try {
      const report = await runBench(dataset, backend.name, workDir, log, config.store);
      process.stdout.write(
        flags.json
          ? `${JSON.stringify(report, null, 2)}\n`
          : `${benchTable(report)}\n\nrecall@10 / queries per second, code space:\n\n${curveTable(report)}\n`,
      );
    } finally {
      await rm(workDir, { recursive: true, force: true });
    }
  });
}
