/** The web page from public/, and the headers every response carries. */
import express, { type RequestHandler } from 'express';

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
