/**
 * `aesearch duplicates [--max-distance D] [--json]`: the collection's near-duplicate groups in code
 * space, closest first. Without --max-distance the collection's default D is used, and printed.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { findDuplicates } from '../../search/duplicate-finder.js';
import { openService } from '../../search/open-service.js';
import { log, prepare } from '../context.js';
import { type CommonFlags, commonOptions } from '../options.js';

const DEFAULT_RULE = 'the largest code distance of a pair that passes the copy check';

interface DuplicatesFlags extends CommonFlags {
  maxDistance?: number;
  json?: boolean;
}

/** Parses a finite number of at least 0. */
function distanceArg(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError(`expected a finite number of at least 0, got "${value}"`);
  return n;
}

/** Adds the duplicates command to `program`. */
export function registerDuplicates(program: Command): void {
  const cmd = program
    .command('duplicates')
    .description(
      'list groups of near-duplicate items (within a distance of each other in code space), closest first',
    )
    .option(
      '--max-distance <D>',
      `largest code distance between neighbours of a group (default: derived from the collection, ${DEFAULT_RULE}, and printed)`,
      distanceArg,
    )
    .option(
      '--json',
      'print one JSON object: { maxDistance, defaultMaxDistance, total, groups: [{ items: [{ id, label, labelName, source }], distance, exact }] }',
    );
  for (const o of commonOptions()) cmd.addOption(o);
  cmd.action(async (flags: DuplicatesFlags) => {
    const { config } = await prepare(flags);
    const service = await openService(config, { pixel: false });
    try {
      const answer = await findDuplicates(service, flags.maxDistance);
      const groups = await Promise.all(
        answer.groups.map(async (group) => ({
          items: await Promise.all(
            group.ids.map(async (id) => {
              const { label, labelName, source } = await service.item(id);
              return { id, label, labelName, source };
            }),
          ),
          distance: group.distance,
          exact: group.exact,
        })),
      );
      if (flags.json) {
        const { maxDistance, defaultMaxDistance } = answer;
        const total = groups.length;
        process.stdout.write(`${JSON.stringify({ maxDistance, defaultMaxDistance, total, groups })}\n`);
        return;
      }
      if (flags.maxDistance === undefined)
        log(`max distance ${answer.maxDistance.toFixed(4)} (the default: ${DEFAULT_RULE})`);
      process.stdout.write(
        `${groups.length} groups within ${answer.maxDistance.toFixed(4)} in code space:\n`,
      );
      for (const group of groups) {
        const items = group.items.map((i) => `${i.id} (${i.labelName ?? '-'}, ${i.source})`).join(', ');
        process.stdout.write(`${group.distance.toFixed(4)}${group.exact ? ' exact' : ''}  ${items}\n`);
      }
    } finally {
      await service.close();
    }
  });
}
