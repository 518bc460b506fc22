#!/usr/bin/env node
/** The `aesearch` command line: the only place that prints errors and sets the exit code. */
import { CommanderError } from 'commander';
import { isAesearchError } from '../errors.js';
import { buildProgram } from './program.js';

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
