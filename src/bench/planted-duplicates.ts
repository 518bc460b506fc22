#!/usr/bin/env node
/**
 * `npm run bench:duplicates -- --index-dir DIR --copies N`: the near-duplicate figures of the README. A
 * copy of the index folder (the original is not touched) gets N planted copies (src/eval/planted-copies.ts:
 * JPEG quality 50, resize 0.5-2x, crop <= 5%, brightness +-10%, in turn); then the near-duplicate groups
 * at the default D are scored by pairs: precision, recall, recall per edit, and what the false pairs are
 * (pairs of the collection's own items, and how many of those are the same picture at another brightness,
 * correlation of the inputs >= SAME_PICTURE, and a sample of the others). Prints a table, or JSON with --json.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import { createError } from '../errors.js';
import {
  groupedPairs,
  PLANTED_EDITS,
  type PlantedPair,
  plantCopies,
  scorePairs,
} from '../eval/planted-copies.js';
import { type CopyRule, DEFAULT_COPY_RULE } from '../search/copy-pairs.js';
import { findDuplicates } from '../search/duplicate-finder.js';
import { SearchService } from '../search/search-service.js';

/** Inputs this correlated (Pearson, unaligned) are the same picture, at most at another brightness. */
const SAME_PICTURE = 0.999;

/** False pairs listed in the report. */
const FALSE_SAMPLE = 20;

interface Flags {
  indexDir: string;
  copies: number;
  seed: number;
  floor: number;
  ratio: number;
  minProbe: number;
  json?: boolean;
}

function wholeNumber(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min)
      throw createError('BAD_OPTION', { name, expected: `a whole number of at least ${min}`, got: value });
    return n;
  };
}

function fraction(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !(n > 0 && n < 1))
      throw createError('BAD_OPTION', { name, expected: 'a number between 0 and 1', got: value });
    return n;
  };
}

function pearson(x: Uint8Array, y: Uint8Array): number {
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let syy = 0;
  let sxy = 0;
  const n = x.length;
  for (let i = 0; i < n; i++) {
    const a = x[i] ?? 0;
    const b = y[i] ?? 0;
    sx += a;
    sy += b;
    sxx += a * a;
    syy += b * b;
    sxy += a * b;
  }
  const den = Math.sqrt((sxx - (sx * sx) / n) * (syy - (sy * sy) / n));
  return den > 0 ? (sxy - (sx * sy) / n) / den : 0;
}

async function run(flags: Flags) {
  const work = await mkdtemp(join(tmpdir(), 'aesearch-planted-'));
  try {
    await cp(resolve(flags.indexDir), work, { recursive: true });
    const service = await SearchService.open(work, { pixel: false });
    try {
      const items = service.count;
      const planted: PlantedPair[] = await plantCopies(service, flags.copies, flags.seed);
      const rule: CopyRule = { floor: flags.floor, ratio: flags.ratio, minProbe: flags.minProbe };
      const answer = await findDuplicates(service, undefined, rule);
      const groups = answer.groups.map((g) => g.ids);
      const pairs = planted.map((p) => [p.original, p.copy] as const);
      const score = scorePairs(groups, pairs);
      const byEdit = Object.fromEntries(
        PLANTED_EDITS.map((edit) => {
          const mine = planted.filter((p) => p.edit === edit).map((p) => [p.original, p.copy] as const);
          return [edit, { planted: mine.length, recall: scorePairs(groups, mine).recall }];
        }),
      );
      const plantedKeys = new Set(pairs.map(([a, b]) => `${Math.min(a, b)}:${Math.max(a, b)}`));
      const copies = new Set(planted.map((p) => p.copy));
      const falsePairs = [...groupedPairs(groups)]
        .filter((k) => !plantedKeys.has(k))
        .map((k) => k.split(':').map(Number));
      const amongOwn = falsePairs.filter(([a = 0, b = 0]) => !copies.has(a) && !copies.has(b));
      const samePicture: number[][] = [];
      for (const pair of amongOwn) {
        const [a = 0, b = 0] = pair;
        if (pearson(await service.itemPixels(a), await service.itemPixels(b)) >= SAME_PICTURE)
          samePicture.push(pair);
      }
      return {
        items,
        planted: planted.length,
        seed: flags.seed,
        rule,
        maxDistance: answer.maxDistance,
        precision: score.precision,
        recall: score.recall,
        foundPairs: score.found,
        byEdit,
        falsePairs: {
          total: falsePairs.length,
          amongOwnItems: amongOwn.length,
          samePicture: samePicture.length,
          // Some of the collection's own pairs that are not the same picture, to look at.
          sample: amongOwn.filter((p) => !samePicture.includes(p)).slice(0, FALSE_SAMPLE),
        },
        build: answer.build,
      };
    } finally {
      await service.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

type Report = Awaited<ReturnType<typeof run>>;

function table(r: Report): string {
  const f = (x: number) => x.toFixed(3);
  const edits = PLANTED_EDITS.map((e) => `${e} ${f(r.byEdit[e]?.recall ?? 0)}`).join(', ');
  const b = r.build;
  return [
    `${r.items} items + ${r.planted} planted copies (seed ${r.seed}), rule ${JSON.stringify(r.rule)}, default D ${r.maxDistance.toFixed(4)}`,
    `precision ${f(r.precision)}, recall ${f(r.recall)} (${r.foundPairs} pairs found)`,
    `recall by edit: ${edits}`,
    `false pairs: ${r.falsePairs.total}, of which ${r.falsePairs.amongOwnItems} between the collection's own items (${r.falsePairs.samePicture} of those the same picture: inputs correlated >= ${SAME_PICTURE})`,
    `build: ${b.candidates} candidate pairs, ${b.scored} scored, ${b.copyPairs} copy pairs; candidates ${b.candidateSeconds.toFixed(1)} s, copy check ${b.checkSeconds.toFixed(1)} s`,
  ].join('\n');
}

const program = new Command('planted-duplicates')
  .description('precision and recall of near-duplicate groups on a copy of an index with planted copies')
  .requiredOption('--index-dir <dir>', 'the built index to copy and plant into')
  .option('--copies <n>', 'copies to plant (a seeded sample of items)', wholeNumber('--copies', 1), 600)
  .option('--seed <n>', 'seed of the sample and of the edits', wholeNumber('--seed', 0), 11)
  .option(
    '--floor <x>',
    'copy rule: least copy score of a copy',
    fraction('--floor'),
    DEFAULT_COPY_RULE.floor,
  )
  .option(
    '--ratio <x>',
    'copy rule: largest residual share of a rival',
    fraction('--ratio'),
    DEFAULT_COPY_RULE.ratio,
  )
  .option(
    '--min-probe <x>',
    'copy rule: least probe correlation scored',
    fraction('--min-probe'),
    DEFAULT_COPY_RULE.minProbe,
  )
  .option('--json', 'print the report as one JSON object')
  .action(async (flags: Flags) => {
    const report = await run(flags);
    process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : `${table(report)}\n`);
  });

program.parseAsync().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
