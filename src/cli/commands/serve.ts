/** `aesearch serve`: the search API and the web page on a built index. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { type Config, loadConfig, splitHosts } from '../../config.js';
import { plainHttpWarning } from '../../http/host-check.js';
import { runServing, type ServingProcess, workerCount } from '../../server/cluster.js';
import { serveIndex } from '../../server/serve.js';
import type { BackendInfo } from '../../tfjs/backend.js';
import { log, startBackend } from '../context.js';
import { type CommonFlags, commonOptions, configOverrides, intIn, numberIn } from '../options.js';

/** Flags of the commands that serve. */
export interface ServerFlags extends CommonFlags {
  port?: number;
  host?: string;
  workers?: number | 'auto';
  allowedHosts?: string;
  unusualPercentile?: number;
}

function workersArg(value: string): number | 'auto' {
  return value === 'auto' ? value : intIn(1, 64)(value);
}

/** --port, --host, --workers, --allowed-hosts and --unusual-percentile (defaults from the config: 3000, 127.0.0.1, 1, none, 99.5). */
export function serverOptions(): Option[] {
  return [
    new Option(
      '--port <n>',
      'port to listen on, 0 for any free one (default 3000, env AESEARCH_PORT)',
    ).argParser(intIn(0, 65_535)),
    new Option('--host <address>', 'address to listen on (default 127.0.0.1, env AESEARCH_HOST)'),
    new Option(
      '--workers <n>',
      'server processes, or auto for one per core; each loads the index (default 1, env AESEARCH_WORKERS)',
    ).argParser(workersArg),
    new Option(
      '--allowed-hosts <names>',
      'comma-separated Host header names answered besides the listening address and localhost, * for any (env AESEARCH_ALLOWED_HOSTS)',
    ),
    new Option(
      '--unusual-percentile <p>',
      "warn about a query whose unusual-query score is above this percentile of the collection's items' (default 99.5, env AESEARCH_UNUSUAL_PERCENTILE)",
    ).argParser(numberIn(0, 100)),
  ];
}

/** Config overrides from the server flags. */
export function serverOverrides(flags: ServerFlags): Record<string, unknown> {
  return {
    port: flags.port,
    host: flags.host,
    workers: flags.workers,
    allowedHosts: flags.allowedHosts === undefined ? undefined : splitHosts(flags.allowedHosts),
    unusualPercentile: flags.unusualPercentile,
  };
}

/**
 * Runs a serving command: `run` with the config, the backend and what this process is, in this process
 * or, when several workers are configured, in each worker of a cluster (see runServing). The first worker
 * prints the backend line as a single process would; the others start quietly.
 */
export async function serveCommand(
  flags: ServerFlags,
  run: (config: Config, backend: BackendInfo, here: ServingProcess) => Promise<void>,
): Promise<void> {
  const config = loadConfig({ ...configOverrides(flags), ...serverOverrides(flags) });
  const warning = plainHttpWarning(config.host, config.adminToken);
  await runServing(workerCount(config), log, config, async (here) => {
    if (warning && !here.quiet) here.log(warning);
    const served = here.port === undefined ? config : Object.freeze({ ...config, port: here.port });
    return run(served, await startBackend(served, here.quiet), here);
  });
}

/** Adds the serve command to `program`. */
export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the search API and the web page on the built index until Ctrl-C');
  for (const o of [...serverOptions(), ...commonOptions()]) cmd.addOption(o);
  cmd.action((flags: ServerFlags) => serveCommand(flags, serveIndex));
}
