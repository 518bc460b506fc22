/** `aesearch serve`: the search API and the web page on a built index. */
import type { Command } from 'commander';
import { Option } from 'commander';
import { SearchService } from '../../search/search-service.js';
import { prepare } from '../context.js';
import { type CommonFlags, commonOptions, intIn } from '../options.js';
import { serveUntilSignal } from '../server.js';

/** Flags of the commands that serve. */
export interface ServerFlags extends CommonFlags {
  port?: number;
  host?: string;
}

/** --port and --host (defaults from the config: 3000 and 127.0.0.1). */
export function serverOptions(): Option[] {
  return [
    new Option(
      '--port <n>',
      'port to listen on, 0 for any free one (default 3000, env AESEARCH_PORT)',
    ).argParser(intIn(0, 65_535)),
    new Option('--host <address>', 'address to listen on (default 127.0.0.1, env AESEARCH_HOST)'),
  ];
}

/** Config overrides from the server flags. */
export function serverOverrides(flags: ServerFlags): Record<string, unknown> {
  return { port: flags.port, host: flags.host };
}

/** Adds the serve command to `program`. */
export function registerServe(program: Command): void {
  const cmd = program
    .command('serve')
    .description('serve the search API and the web page on the built index until Ctrl-C');
  for (const o of [...serverOptions(), ...commonOptions()]) cmd.addOption(o);
  cmd.action(async (flags: ServerFlags) => {
    const { config, backend } = await prepare(flags, serverOverrides(flags));
    const service = await SearchService.open(config);
    await serveUntilSignal(service, config, backend);
  });
}
