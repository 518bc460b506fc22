#!/usr/bin/env node
/** The `aesearch` command line: the only place that prints errors and sets the exit code. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
import { PACKAGE_ROOT } from '../config.js';
import { isAesearchError } from '../errors.js';
import { registerBench } from './commands/bench.js';
import { registerCollection } from './commands/collection.js';
import { registerDuplicates } from './commands/duplicates.js';
import { registerEval } from './commands/eval.js';
import { registerIndex } from './commands/index-cmd.js';
import { registerSearch } from './commands/search.js';
import { registerServe } from './commands/serve.js';
import { registerStart } from './commands/start.js';
import { registerTrain } from './commands/train.js';

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
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (isAesearchError(err)) {
      process.stderr.write(`aesearch: ${err.message}\n`);
      return 1;
    }
    const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`aesearch: unexpected error: ${message}\n`);
    return 70;
  }
}

process.exitCode = await main(process.argv);
