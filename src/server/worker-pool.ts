/**
 * The workers of a cluster primary: forking them, passing their output and their reloads on, replacing
 * the ones that die, and closing them. A replacement waits 0.5 s after the first exit in a minute,
 * doubling with each further one up to 8 s, so a crash loop costs little; past MAX_RESTARTS_PER_MINUTE
 * exits, or when a replacement exits by itself before it listens while no other worker serves (as a
 * failed start-up would), none is started, and once the last worker is gone the pool reports
 * NO_WORKERS_LEFT, with that worker's last line, for the primary to exit on.
 */
import cluster, { type Worker } from 'node:cluster';
import { AesearchError, createError } from '../errors.js';
import type { LogLine, ToPrimary, ToWorker } from './cluster.js';
import { MetricsGatherer } from './cluster-metrics.js';
import { exitHow, WorkerOutput } from './worker-output.js';

/** Worker exits within a minute that are still followed by a replacement. */
const MAX_RESTARTS_PER_MINUTE = 10;

/** The wait before the replacement of the first exit in a minute, in ms; it doubles with each further exit. */
const FIRST_RESTART_DELAY_MS = 500;

/** The longest wait before a replacement, in ms. */
const MAX_RESTART_DELAY_MS = 8000;

/** The wait before replacing a worker after `exits` exits within the last minute (this one included), in ms. */
export function restartDelayMs(exits: number): number {
  return Math.min(MAX_RESTART_DELAY_MS, FIRST_RESTART_DELAY_MS * 2 ** Math.max(0, exits - 1));
}

interface Member {
  readonly worker: Worker;
  readonly pid: number;
  readonly output: WorkerOutput;
  listening: boolean;
}

/** What a worker printed, for the primary's lines: its error, or else its exception, or else its last line. */
function lastWords(output: WorkerOutput): string {
  const error = output.errorLine?.replace(/^aesearch: /, '') ?? output.exceptionLine;
  if (error) return `its error: ${error}`;
  return output.lastLine ? `its last line: ${output.lastLine}` : 'it printed nothing';
}

/** A worker's error line as the command's own error, or WORKER_FAILED naming how it exited. */
function startFailure(member: Member, how: string): AesearchError {
  const line = member.output.errorLine;
  if (line) return new AesearchError('WORKER_FAILED', line.replace(/^aesearch: /, ''), 500);
  return createError('WORKER_FAILED', { pid: member.pid, code: how });
}

/** The workers of the primary. */
export class WorkerPool {
  private readonly members = new Set<Member>();
  /** Times of the exits within the last minute, in ms. */
  private readonly exits: number[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private stopping = false;
  private readonly gatherer = new MetricsGatherer();
  private giveUp: (err: AesearchError) => void = () => {};
  /** Resolves with NO_WORKERS_LEFT when the last worker is gone and none will be started. */
  readonly lost: Promise<AesearchError>;
  /** Set once the first workers all listen: before that, an exit is a failed start, which `start` reports. */
  serving = false;
  /** `port`: the one every worker listens on when the command said `--port 0`. */
  constructor(
    private readonly log: LogLine,
    private readonly port?: number,
  ) {
    this.lost = new Promise((resolve) => {
      this.giveUp = resolve;
    });
  }

  /**
   * Starts a worker (`quiet` ones do not log start-up lines, nor train or index); resolves with its URL
   * once it listens, rejects with its own error line (WORKER_FAILED) when it exits before.
   */
  start(quiet: boolean): Promise<string> {
    return this.fork(quiet).listening;
  }

  private fork(quiet: boolean): { pid: number; listening: Promise<string> } {
    const worker = cluster.fork({
      AESEARCH_WORKER_QUIET: quiet ? '1' : '0',
      AESEARCH_WORKER_PORT: String(this.port ?? ''),
    });
    const member: Member = {
      worker,
      pid: worker.process.pid ?? 0,
      output: new WorkerOutput(worker),
      listening: false,
    };
    this.members.add(member);
    // A failed send to a worker on its way out arrives as an 'error' event; unheard, it would end the primary.
    worker.on('error', (err: Error) => this.log(`server process ${member.pid}: ${err.message}`));
    const listening = new Promise<string>((resolve, reject) => {
      worker.on('message', (m: ToPrimary) => {
        if (m.type === 'reload') this.broadcast({ type: 'reload', trigger: m.trigger }, worker);
        else if (m.type === 'metrics-scrape') void this.scrape(member, m.id);
        else if (m.type === 'metrics-part') this.gatherer.receive(m.id, m.metrics);
        else if (!member.listening) {
          member.listening = true;
          resolve(m.url);
        }
      });
      // 'close' rather than 'exit': it comes once the worker's output is read, so its last line is known.
      worker.process.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.members.delete(member);
        const how = exitHow(code, signal);
        if (!member.listening) reject(startFailure(member, how));
        if (this.serving && !this.stopping) this.replace(member, how, signal !== null);
      });
    });
    return { pid: member.pid, listening };
  }

  /** Answers `asking`'s scrape `id` with the metrics of every listening worker, merged. */
  private async scrape(asking: Member, id: number): Promise<void> {
    const serving = [...this.members].filter((m) => m.listening);
    const text = await this.gatherer.gather(
      serving.map((m) => m.worker),
      (worker, collect) => {
        const member = serving.find((m) => m.worker === worker);
        if (member) this.send(member, { type: 'metrics-collect', id: collect });
      },
    );
    this.send(asking, { type: 'metrics-result', id, text });
  }

  /** Sends `message` to every worker but `except`; a worker that has left the channel is skipped. */
  broadcast(message: ToWorker, except?: Worker): void {
    for (const member of this.members) if (member.worker !== except) this.send(member, message);
  }

  private send(member: Member, message: ToWorker): void {
    if (!member.worker.isConnected()) return;
    member.worker.send(message, (err: Error | null) => {
      if (err) this.log(`server process ${member.pid} did not get a message (${err.message})`);
    });
  }

  private replace(dead: Member, how: string, killed: boolean): void {
    const now = Date.now();
    this.exits.push(now);
    while ((this.exits[0] ?? now) <= now - 60_000) this.exits.shift();
    const exited = `server process ${dead.pid} exited with ${how}; ${lastWords(dead.output)}`;
    const refusal = this.whyNotReplace(dead, killed);
    if (refusal === undefined) {
      const delay = restartDelayMs(this.exits.length);
      this.log(`${exited}; starting another in ${delay / 1000} s`);
      this.startLater(delay);
      return;
    }
    this.log(`${exited}; starting no other: ${refusal}`);
    if (this.members.size === 0 && this.pending.size === 0)
      this.giveUp(
        createError('NO_WORKERS_LEFT', { why: refusal, pid: dead.pid, how, words: lastWords(dead.output) }),
      );
  }

  /** Why `dead` gets no replacement; a worker `killed` by a signal did not fail to start by itself. */
  private whyNotReplace(dead: Member, killed: boolean): string | undefined {
    if (!dead.listening && !killed && ![...this.members].some((m) => m.listening)) {
      this.cancelPending();
      return 'it failed to start while no other server process was serving';
    }
    if (this.exits.length > MAX_RESTARTS_PER_MINUTE)
      return `${this.exits.length} exits in the last minute, more than the ${MAX_RESTARTS_PER_MINUTE} replacements allowed`;
    return undefined;
  }

  private startLater(delayMs: number): void {
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      if (this.stopping) return;
      const { pid, listening } = this.fork(true);
      listening.then(
        (url) => this.log(`server process ${pid} started and listens on ${url}`),
        // Its exit is reported (and handled) by the 'close' handler.
        () => {},
      );
    }, delayMs);
    this.pending.add(timer);
  }

  private cancelPending(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }

  /** Tells every worker to close and waits for them. */
  async close(signal: NodeJS.Signals): Promise<void> {
    this.stopping = true;
    this.cancelPending();
    await Promise.all(
      [...this.members].map(
        (member) =>
          new Promise<void>((resolve) => {
            member.worker.process.once('close', () => resolve());
            // The message reaches a listening worker; the signal, one still starting (or both, harmlessly).
            this.send(member, { type: 'shutdown', signal });
            try {
              member.worker.process.kill(signal);
            } catch {
              // already gone: its 'close' event resolves this
            }
          }),
      ),
    );
  }

  /** Kills whatever is left (after a failed start, or when giving up). */
  kill(): void {
    this.stopping = true;
    this.cancelPending();
    for (const member of this.members) member.worker.process.kill('SIGKILL');
  }
}
