/** One log line per request: method, path, status and time taken, through an injectable logger. */
import type { RequestHandler } from 'express';

/** Receives one line of log text (no newline). */
export type LogLine = (line: string) => void;

/** Logs `METHOD /path STATUS 12.3 ms` when each response finishes (or `aborted` when the client left). */
export function requestLog(log: LogLine): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const path = req.originalUrl.split('?')[0] ?? req.originalUrl;
    const line = (status: string) =>
      log(`${req.method} ${path} ${status} ${(performance.now() - started).toFixed(1)} ms`);
    res.once('finish', () => line(String(res.statusCode)));
    res.once('close', () => {
      if (!res.writableFinished) line('aborted');
    });
    next();
  };
}
