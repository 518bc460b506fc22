#!/usr/bin/env node
/**
 * `npm run load`: drives the real server with autocannon (PNG uploads, then similar-item queries, 50
 * connections, 60 s each by default) and prints requests/s, p50/p99 latency, errors, server CPU per request
 * and the server's memory along the way. In the same run it drives a ceiling server (ceiling-server.ts:
 * express + multer + sharp's decode, with as many processes) with the same uploads and prints aesearch's
 * uploads/s as a share of it. `npm run fuzz` (`--fuzz 10000`) sends fuzzed uploads instead; `--trickle
 * 64` checks slow clients and `--kill-workers 6` worker crashes. The server is started here (`aesearch
 * start --workers auto` on the configured index) unless --url names one.
 */
import { spawn } from 'node:child_process';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { Command, Option } from 'commander';
import { encodeJpeg224 } from '../image/perturb.js';
import { decodeImage, IDX_FORMAT } from '../image/preprocess.js';
import { runFuzz } from './fuzz.js';
import { type PhaseFigures, readHealth, runPhase, UPLOAD_CONTENT_TYPE, uploadPool } from './load-run.js';
import { CLI_PATH, type ServerChild, startCeilingChild, startServerChild } from './serve-child.js';
import { runTrickle } from './trickle.js';
import { runWorkerKills } from './worker-kills.js';

interface LoadFlags {
  url?: string;
  duration: number;
  connections: number;
  indexDir?: string;
  workers: string;
  rebuild?: boolean;
  fuzz?: number;
  seed?: number;
  profile?: string;
  ceiling: boolean;
  trickle?: number;
  killWorkers?: number;
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

function phaseLine(p: PhaseFigures): string {
  const cpu = p.cpuMsPerRequest === null ? '' : `, server CPU ${p.cpuMsPerRequest.toFixed(2)} ms/request`;
  return (
    `${p.name}: ${p.requestsPerSecond.toFixed(0)} requests/s over ${p.seconds.toFixed(0)} s, p50 ${p.p50Ms} ms, p99 ${p.p99Ms} ms, ` +
    `${p.requests} requests, ${p.errors} errors (statuses ${JSON.stringify(p.statuses)})${cpu}`
  );
}

/** The server's RSS: every process of a started server, or what /api/health reports for a URL. */
async function serverRss(url: string, server: ServerChild | undefined): Promise<number> {
  return server?.figures()?.rssBytes ?? (await readHealth(url)).memory.rssBytes;
}

/**
 * Runs `aesearch index` on the served folder 3 s into the upload phase and resolves 5 s after every
 * answer of /api/health (10 in a row) names the new index, with a line saying how it went.
 */
async function rebuildDuringLoad(url: string, flags: LoadFlags): Promise<string> {
  await new Promise((r) => setTimeout(r, 3000));
  const before = (await readHealth(url)).index.id;
  const args = [CLI_PATH, 'index', ...(flags.indexDir ? ['--index-dir', flags.indexDir] : [])];
  log('rebuilding the index (aesearch index) under load');
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    spawn(process.execPath, args, { stdio: 'ignore' }).on('exit', resolve);
  });
  const built = performance.now();
  if (code !== 0) return `rebuild: aesearch index exited with ${code}`;
  for (let same = 0; same < 10; ) {
    same = (await readHealth(url)).index.id === before ? 0 : same + 1;
    await new Promise((r) => setTimeout(r, 200));
  }
  const served = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  const seconds = (a: number, b: number) => ((b - a) / 1000).toFixed(1);
  return `rebuild: aesearch index took ${seconds(started, built)} s; every answer named the new index ${seconds(built, served)} s later`;
}

/** The ceiling server's upload figures, started with `workers` processes (stopped afterwards). */
async function ceilingPhase(workers: number, options: Parameters<typeof runPhase>[2]): Promise<PhaseFigures> {
  log(`starting the ceiling server (express + multer + sharp decode) with ${workers} processes`);
  const ceiling = await startCeilingChild(workers);
  try {
    const cpu = () => ceiling.figures()?.cpuSeconds ?? null;
    await runPhase(ceiling.url, 'upload', { ...options, seconds: Math.min(5, options.seconds) });
    return { ...(await runPhase(ceiling.url, 'upload', options, cpu)), name: 'ceiling: POST /api/search' };
  } finally {
    await ceiling.stop();
  }
}

function shareLine(upload: PhaseFigures, ceiling: PhaseFigures, workers: number): string {
  const share = upload.requestsPerSecond / ceiling.requestsPerSecond;
  return (
    `aesearch's uploads/s are ${share.toFixed(2)} of the ceiling's (${upload.requestsPerSecond.toFixed(0)} / ` +
    `${ceiling.requestsPerSecond.toFixed(0)}, ${workers} process${workers === 1 ? '' : 'es'} each; goal >= 0.6 with --workers auto)`
  );
}

async function runLoad(url: string, flags: LoadFlags, server: ServerChild | undefined): Promise<number> {
  const health = await readHealth(url);
  const bodies = await uploadPool(url, health.items);
  const options = { connections: flags.connections, seconds: flags.duration, items: health.items, bodies };
  const cpu = () => server?.figures()?.cpuSeconds ?? null;
  const rss = [await serverRss(url, server)];
  await runPhase(url, 'upload', { ...options, seconds: Math.min(5, flags.duration) });
  rss.push(await serverRss(url, server));
  const rebuild = flags.rebuild && server ? rebuildDuringLoad(url, flags) : undefined;
  const upload = await runPhase(url, 'upload', options, cpu, rebuild);
  const rebuilt = await rebuild;
  rss.push(await serverRss(url, server));
  const ceiling = flags.ceiling ? await ceilingPhase(workerCount(flags), options) : undefined;
  const similar = await runPhase(url, 'similar', options, cpu);
  rss.push(await serverRss(url, server));
  const after = await readHealth(url);
  const scope = server ? 'all server processes' : 'the process that answered /api/health';
  process.stdout.write(`${phaseLine(upload)}\n${phaseLine(similar)}\n`);
  if (ceiling)
    process.stdout.write(`${phaseLine(ceiling)}\n${shareLine(upload, ceiling, workerCount(flags))}\n`);
  process.stdout.write(
    `server RSS (${scope}): ${rss.map(mb).join(' -> ')} (started, after a 5 s warm-up, after uploads, at the end)\n`,
  );
  if (rebuilt) process.stdout.write(`${rebuilt}; index served: ${health.index.id} -> ${after.index.id}\n`);
  return upload.errors + similar.errors;
}

/** `--trickle n`: prints how normal uploads fare while n uploads trickle in; fails when one is not 200. */
async function runTrickleCheck(url: string, count: number): Promise<number> {
  const health = await readHealth(url);
  const [body] = await uploadPool(url, health.items, 1);
  const f = await runTrickle(url, count, body ?? Buffer.alloc(0), UPLOAD_CONTENT_TYPE);
  process.stdout.write(
    `slow clients: ${f.trickling} uploads trickling in at 1 byte/s, each from its own address; ` +
      `normal uploads meanwhile, one after another: statuses ${JSON.stringify(f.normalStatuses)}, ` +
      `p50 ${f.normalP50Ms.toFixed(0)} ms, slowest ${f.normalMaxMs.toFixed(0)} ms (goal: under 1 s); ` +
      `${f.stillTrickling} still trickling when the last was answered\n` +
      `the trickling uploads: statuses ${JSON.stringify(f.tricklingStatuses)}, answered ` +
      `${f.answeredAfterS[0].toFixed(1)}-${f.answeredAfterS[1].toFixed(1)} s after they started\n`,
  );
  const normal = Object.values(f.normalStatuses).reduce((a, b) => a + b, 0);
  return normal - (f.normalStatuses['200'] ?? 0) + (f.normalMaxMs < 1000 ? 0 : 1);
}

/** `--kill-workers n`: prints how the started server took n SIGKILLs of its workers in a minute. */
async function runKillCheck(server: ServerChild | undefined, kills: number): Promise<number> {
  if (!server) throw new Error('--kill-workers needs the server this script starts (no --url)');
  const f = await runWorkerKills(server, kills);
  const after = f.exit
    ? `the primary exited with ${f.exit.code}: ${f.exit.lastLine}`
    : f.answeredAfterS === null
      ? 'the port did not answer within 60 s after the last kill, and the primary runs on'
      : `the port answered ${f.answeredAfterS.toFixed(1)} s after the last kill`;
  process.stdout.write(
    `worker kills: ${f.kills} SIGKILLs in ${f.seconds.toFixed(0)} s; /api/health meanwhile (every 0.25 s): ` +
      `${f.healthOk} answered, ${f.healthFailed} failed; ${after}\n`,
  );
  const ok = f.exit ? f.exit.code !== 0 && f.exit.code !== null : f.answeredAfterS !== null;
  return ok ? 0 : 1;
}

async function runFuzzLoad(
  url: string,
  count: number,
  seed: number,
  server: ServerChild | undefined,
): Promise<number> {
  const before = await readHealth(url);
  const pngs = await uploadPool(url, before.items, 8);
  const seeds = pngs.map((body) => body.subarray(body.indexOf('\r\n\r\n') + 4, body.lastIndexOf('\r\n--')));
  const jpeg = await encodeJpeg224(await decodeImage(seeds[0] ?? Buffer.alloc(0), IDX_FORMAT), IDX_FORMAT);
  const rssBefore = await serverRss(url, server);
  const report = await runFuzz(url, [...seeds, jpeg], {
    count,
    concurrency: 8,
    seed,
    onProgress: (done) => {
      if (done % 1000 === 0) log(`${done} fuzzed uploads sent`);
    },
  });
  const after = await readHealth(url);
  process.stdout.write(
    `${report.sent} fuzzed uploads (--seed ${seed} repeats them): statuses ${JSON.stringify(report.statuses)}\n`,
  );
  for (const f of report.failures.slice(0, 20))
    process.stdout.write(`FAILED ${f.kind}: ${f.status} ${f.body}\n`);
  process.stdout.write(
    `server RSS ${mb(rssBefore)} -> ${mb(await serverRss(url, server))}; tensors (one process) ${before.memory.tensors} -> ${after.memory.tensors}\n`,
  );
  return report.failures.length + (after.memory.tensors === before.memory.tensors ? 0 : 1);
}

function workerCount(flags: Pick<LoadFlags, 'workers'>): number {
  return flags.workers === 'auto' ? availableParallelism() : Number(flags.workers);
}

async function main(flags: LoadFlags): Promise<number> {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  log(
    `machine: ${cpus().length} x ${cpu}, Node ${process.version}, load average ${loadavg()[0]?.toFixed(1)}`,
  );
  let server: ServerChild | undefined;
  if (!flags.url) {
    const args = ['--workers', flags.workers, ...(flags.indexDir ? ['--index-dir', flags.indexDir] : [])];
    const nodeArgs = flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${flags.profile}`] : [];
    // autocannon's connections all come from 127.0.0.1: one client address, as many uploads at a time.
    // The checks run against the defaults, as npm start has them.
    const checks = flags.trickle || flags.killWorkers || flags.fuzz;
    const env: Record<string, string> = checks
      ? {}
      : { AESEARCH_UPLOADS_PER_CLIENT: String(Math.max(8, flags.connections)) };
    const shown = Object.entries(env).map(([name, value]) => `${name}=${value} `);
    log(`starting: ${shown.join('')}aesearch start --port 0 ${args.join(' ')}`);
    server = await startServerChild(args, workerCount(flags), nodeArgs, env);
  }
  const url = flags.url ?? server?.url ?? '';
  try {
    const seed = flags.seed ?? Date.now() % 100_000;
    const failures = flags.killWorkers
      ? await runKillCheck(server, flags.killWorkers)
      : flags.trickle
        ? await runTrickleCheck(url, flags.trickle)
        : flags.fuzz
          ? await runFuzzLoad(url, flags.fuzz, seed, server)
          : await runLoad(url, flags, server);
    const died = server && (await Promise.race([server.exited, Promise.resolve('alive')])) !== 'alive';
    if (died && !flags.killWorkers) throw new Error('the server died during the run');
    log(`load average at the end ${loadavg()[0]?.toFixed(1)} (other processes share these cores)`);
    return failures === 0 ? 0 : 1;
  } finally {
    const code = await server?.stop();
    if (server && code !== 0 && !flags.killWorkers) log(`the server exited with ${code}`);
  }
}

const program = new Command()
  .name('load')
  .description('load or fuzz the aesearch server')
  .option('--url <url>', 'an already running server (default: start one with aesearch start)')
  .option('--duration <s>', 'seconds per phase', (v) => Number(v), 60)
  .option('--connections <n>', 'concurrent connections', (v) => Number(v), 50)
  .option('--index-dir <dir>', 'index folder of the started server')
  .option('--workers <n>', 'server processes of the started server (auto: one per core)', 'auto')
  .option(
    '--rebuild',
    'run aesearch index during the upload phase, which lasts until the new index is served',
  )
  .addOption(new Option('--fuzz <n>', 'send n fuzzed uploads instead of the load').argParser(Number))
  .addOption(
    new Option('--seed <n>', 'seed of the fuzzed uploads (default: from the clock)').argParser(Number),
  )
  .option('--profile <dir>', "write the server's CPU profiles (node --cpu-prof) into this folder")
  .option('--no-ceiling', 'skip the ceiling server (express + multer + sharp decode) and the share of it')
  .addOption(
    new Option(
      '--trickle <n>',
      'instead of the load: n uploads trickle in at 1 byte/s while normal uploads are timed',
    ).argParser(Number),
  )
  .addOption(
    new Option(
      '--kill-workers <n>',
      'instead of the load: SIGKILL n workers of the started server within a minute, then check the port',
    ).argParser(Number),
  );
program.parse();
const flags = program.opts<LoadFlags>();
const url = flags.url && !flags.url.endsWith('/') ? `${flags.url}/` : flags.url;
process.exitCode = await main({ ...flags, ...(url ? { url } : {}) });
