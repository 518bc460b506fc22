/** The docs page each command's --help ends with: one map, applied to the whole program at once. */
import type { Command } from 'commander';

/** Command name -> the page (relative to the package root) that documents it. */
export const COMMAND_DOCS: Readonly<Record<string, string>> = {
  train: 'docs/models.md',
  index: 'docs/collections.md',
  add: 'docs/collections.md',
  remove: 'docs/collections.md',
  sync: 'docs/collections.md',
  search: 'docs/collections.md',
  duplicates: 'docs/collections.md',
  eval: 'docs/benchmarks.md',
  bench: 'docs/benchmarks.md',
  serve: 'docs/operations.md',
  start: 'docs/operations.md',
};

/** The page `aesearch --help` ends with: the README, which links every page under docs/. */
export const PROGRAM_DOCS = 'README.md';

/** The line a --help ends with. */
export function docsLine(page: string): string {
  return `\nDocs: ${page}`;
}

/**
 * Ends the --help of `program` and of each of its commands with the docs page that covers it; a
 * command missing from COMMAND_DOCS gets the README's (test/repo/docs-links.test.ts refuses that).
 */
export function addDocsPages(program: Command): void {
  program.addHelpText('after', docsLine(PROGRAM_DOCS));
  for (const command of program.commands) {
    command.addHelpText('after', docsLine(COMMAND_DOCS[command.name()] ?? PROGRAM_DOCS));
  }
}
