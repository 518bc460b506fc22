/**
 * Who may reach the server by name. A page on another site can make a browser resolve its own name to
 * 127.0.0.1 (DNS rebinding) and then read this server's answers as its own origin; the browser still
 * sends that other name in the Host header. So requests are answered only for the address the server
 * listens on, localhost, and the names configured in AESEARCH_ALLOWED_HOSTS; an IP literal in the Host
 * header cannot be rebound, so a server on every interface (0.0.0.0, ::) answers any of those, and any
 * name at all until names are configured.
 */
import { isIP } from 'node:net';
import type { RequestHandler } from 'express';
import { createError } from '../errors.js';
import { describeValue } from './format.js';

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]']);

/** True for an address only this machine can reach: localhost, 127.0.0.0/8, ::1. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
}

/** The name in a Host header value, lower case, without its port (IPv6 literals keep their brackets). */
export function hostName(header: string): string {
  const lower = header.trim().toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  return lower.replace(/:\d*$/, '');
}

/** A configured name or address as a Host header carries it: lower case, IPv6 in brackets, no port. */
function asHostHeader(name: string): string {
  return isIP(name) === 6 ? `[${name.toLowerCase()}]` : hostName(name);
}

/** The names the server answers for; `any` when it answers every Host (`allowIpLiterals`: any IP address). */
export interface HostAllowList {
  readonly any: boolean;
  readonly names: ReadonlySet<string>;
  readonly allowIpLiterals: boolean;
}

/** The allow-list of a server listening on `listenHost`, with `configured` names (`*` allows any). */
export function hostAllowList(listenHost: string, configured: readonly string[]): HostAllowList {
  const wildcard = WILDCARDS.has(listenHost);
  const names = new Set(['localhost', ...configured.map(asHostHeader)]);
  if (!wildcard) names.add(asHostHeader(listenHost));
  if (isLoopback(listenHost)) for (const loopback of ['127.0.0.1', '[::1]']) names.add(loopback);
  return {
    any: configured.includes('*') || (wildcard && configured.length === 0),
    names,
    allowIpLiterals: wildcard,
  };
}

/** True when a request with this Host header may be answered (no header: not a browser, allowed). */
export function hostAllowed(list: HostAllowList, header: string | undefined): boolean {
  if (list.any || header === undefined) return true;
  const name = hostName(header);
  if (list.names.has(name)) return true;
  return list.allowIpLiterals && isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

/** Middleware answering BAD_HOST (421) to requests for a name the server does not answer for. */
export function checkHost(list: HostAllowList): RequestHandler {
  const allowed = [...list.names].join(', ') + (list.allowIpLiterals ? ' and its IP addresses' : '');
  return (req, _res, next) => {
    const header = req.headers.host;
    next(
      hostAllowed(list, header)
        ? undefined
        : createError('BAD_HOST', { got: describeValue(header), allowed }),
    );
  };
}

/**
 * The warning to log at start when an admin token would travel in clear text to a non-loopback address,
 * or undefined.
 */
export function plainHttpWarning(listenHost: string, adminToken: string): string | undefined {
  if (adminToken === '' || isLoopback(listenHost)) return undefined;
  return `admin token over plain HTTP on ${listenHost}: put TLS in front (a reverse proxy with HTTPS), or listen on 127.0.0.1`;
}
