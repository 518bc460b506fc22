/** The `aesearch` program: every subcommand, each --help ending with its docs page; it never runs. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { PACKAGE_ROOT } from '../config.js';
import { registerBench } from './commands/bench.js';
import { registerCollection } from './commands/collection.js';
import { registerDuplicates } from './commands/duplicates.js';
import { registerEval } from './commands/eval.js';
import { registerIndex } from './commands/index-cmd.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerStart } from './commands/start.js';
import { registerTrain } from './commands/train.js';
import { addDocsPages } from './docs-pages.js';

const { version } = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
  version: string;
};

/** Builds the program with every subcommand. */
export function buildProgram(): Command {
  const program = new Command()
    .name('aesearch')
    .description('Similar-image search on autoencoder codes: train, index, search, serve, evaluate')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerTrain(program);
  registerIndex(program);
  registerCollection(program);
  registerSearch(program);
  registerDuplicates(program);
  registerEval(program);
  registerServe(program);
  registerStart(program);
  registerBench(program);
  addDocsPages(program);
  return program;
}
