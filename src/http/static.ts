/** The web page from public/, and the headers every response carries. */
import express, { type RequestHandler } from 'express';
import { createError } from '../errors.js';

/** Everything the page loads comes from this server: no CDN, no inline script. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "script-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Sets the security headers on every response. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  next();
};

/** Serves the files of `publicDir` (index.html at /); browsers revalidate them by ETag. */
export function servePage(publicDir: string): RequestHandler {
  return express.static(publicDir, { index: 'index.html', maxAge: 0, redirect: false });
}

/** Segments and encodings that could step out of public/ or hide a separator. */
const PATH_TRICK = /%2f|%5c|%00|\\|\0/i;

/**
 * Refuses paths with `..` or `.` segments, encoded slashes or backslashes, or NUL with BAD_REQUEST before
 * express.static sees them, so no spelling of a path reaches a file outside the page's folder.
 */
export const rejectPathTricks: RequestHandler = (req, _res, next) => {
  const raw = req.path;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    next(
      createError('BAD_REQUEST', { reason: `the path ${JSON.stringify(raw)} is not valid percent-encoding` }),
    );
    return;
  }
  const dotted = decoded.split('/').some((segment) => segment === '..' || segment === '.');
  if (PATH_TRICK.test(raw) || dotted)
    next(
      createError('BAD_REQUEST', {
        reason: `the path ${JSON.stringify(raw)} holds a "." or ".." segment, an encoded slash, a backslash or NUL; ask for the page's files by their plain names`,
      }),
    );
  else next();
};
