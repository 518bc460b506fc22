/**
 * The JSON error responses: `{ "error": { "code", "message" } }` with the error's status. AesearchErrors
 * pass through; other 4xx errors from express become BAD_REQUEST; anything else is logged and answered
 * with INTERNAL, without its stack.
 */
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import { AesearchError, createError, type ErrorCode, isAesearchError } from '../errors.js';
import { DECODE_RETRY_AFTER_S } from '../image/decode-slots.js';
import type { LogLine } from './request-log.js';
import { RETRY_AFTER_S } from './work-queue.js';

function clientStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  const status = Number(e?.status ?? e?.statusCode);
  return Number.isInteger(status) && status >= 400 && status < 500 ? status : undefined;
}

/** Turns anything thrown into an AesearchError; logs unexpected ones with their stack. */
export function toAesearchError(err: unknown, log: LogLine): AesearchError {
  if (isAesearchError(err)) return err;
  const status = clientStatus(err);
  if (status !== undefined) {
    const reason = err instanceof Error ? err.message : String(err);
    const bad = createError('BAD_REQUEST', { reason });
    return new AesearchError(bad.code, bad.message, status, { cause: err });
  }
  log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return createError('INTERNAL');
}

/** The JSON body of an error, as every error response and a failed file of a batch carry it. */
export function errorBody(error: AesearchError): { error: { code: string; message: string } } {
  return { error: { code: error.code, message: error.message } };
}

/** Headers some errors carry: when to retry, how to authenticate. */
const ERROR_HEADERS: Partial<Record<ErrorCode, Record<string, string>>> = {
  OVERLOADED: { 'Retry-After': String(RETRY_AFTER_S) },
  DECODE_BUSY: { 'Retry-After': String(DECODE_RETRY_AFTER_S) },
  TOO_MANY_UPLOADS: { 'Retry-After': String(RETRY_AFTER_S) },
  UPLOADS_BUSY: { 'Retry-After': String(RETRY_AFTER_S) },
  UNAUTHORIZED: { 'WWW-Authenticate': 'Bearer realm="aesearch admin"' },
};

/** True while part of the request's body has not arrived (a body the answer does not wait for). */
function bodyUnread(req: Request): boolean {
  const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0;
  return hasBody && !req.complete;
}

/**
 * Express error middleware that answers with the JSON error. An answer given before the body has arrived
 * closes the connection: node would otherwise read the rest of the body, however slowly it comes.
 */
export function errorHandler(log: LogLine): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const error = toAesearchError(err, log);
    for (const [name, value] of Object.entries(ERROR_HEADERS[error.code] ?? {})) res.setHeader(name, value);
    if (bodyUnread(req)) res.setHeader('Connection', 'close');
    res.locals.errorCode = error.code;
    res.status(error.status).json(errorBody(error));
  };
}

/** The last route: ROUTE_NOT_FOUND for anything no route or static file answered. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(createError('ROUTE_NOT_FOUND', { method: req.method, path: req.path }));
};

/** Answers METHOD_NOT_ALLOWED (with an Allow header) on a path that only takes `allowed`. */
export function methodNotAllowed(...allowed: string[]): RequestHandler {
  return (req, res, next) => {
    res.setHeader('Allow', allowed.join(', '));
    next(
      createError('METHOD_NOT_ALLOWED', {
        method: req.method,
        path: req.path,
        allowed: allowed.join(' or '),
      }),
    );
  };
}
