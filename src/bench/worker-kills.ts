/**
 * The worker-crash check of `npm run load -- --kill-workers 6`: SIGKILLs that many workers of the started
 * server within a minute (one every 60/n s, the one to go picked at random), asking /api/health every
 * 250 ms meanwhile, then waits for the port to answer again or the primary to exit. Either is fine; a
 * primary that lives on with nothing listening is the failure.
 */
import { childPids, type ServerChild } from './serve-child.js';

/** What the check saw. */
export interface KillFigures {
  readonly kills: number;
  readonly seconds: number;
  /** /api/health answers (200) and failures (no answer, or another status) during the kills. */
  readonly healthOk: number;
  readonly healthFailed: number;
  /** Seconds from the last kill to the first answer after it; null when none came. */
  readonly answeredAfterS: number | null;
  /** The primary's exit code and last line, when it exited. */
  readonly exit: { readonly code: number | null; readonly lastLine: string } | null;
}

/** How long to wait after the last kill for an answer or an exit, in ms. */
const AFTER_MS = 60_000;

const HEALTH_EVERY_MS = 250;

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}api/health`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

/** Kills `kills` workers of `server` within `withinMs` and reports how the server took it. */
export async function runWorkerKills(
  server: ServerChild,
  kills: number,
  withinMs = 60_000,
): Promise<KillFigures> {
  let exit: KillFigures['exit'] = null;
  void server.exited.then((code) => {
    exit = { code, lastLine: server.lastLine() };
  });
  const started = performance.now();
  let healthOk = 0;
  let healthFailed = 0;
  let done = 0;
  let killedAt = started;
  let answeredAfterS: number | null = null;
  const check = async () => {
    if (await healthy(server.url)) {
      healthOk++;
      answeredAfterS ??= (performance.now() - killedAt) / 1000;
    } else healthFailed++;
    await new Promise((r) => setTimeout(r, HEALTH_EVERY_MS));
  };
  for (let i = 0; i < kills && !exit; i++) {
    const workers = childPids(server.pid);
    const victim = workers[Math.floor(Math.random() * workers.length)];
    if (victim !== undefined) {
      process.kill(victim, 'SIGKILL');
      done++;
      killedAt = performance.now();
      answeredAfterS = null;
    }
    const next = started + ((i + 1) * withinMs) / kills;
    while (performance.now() < next && !exit) await check();
  }
  const seconds = (killedAt - started) / 1000;
  while (!exit && answeredAfterS === null && performance.now() - killedAt < AFTER_MS) await check();
  return {
    kills: done,
    seconds,
    healthOk,
    healthFailed,
    answeredAfterS,
    exit,
  };
}
