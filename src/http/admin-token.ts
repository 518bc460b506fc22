/**
 * The admin token rule shared by the routes that change the server's state (reload, add and remove
 * items): `Authorization: Bearer <token>`, compared in constant time; no configured token disables them.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import { createError } from '../errors.js';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Throws ADMIN_DISABLED (403) or UNAUTHORIZED (401) unless `req` carries `token`. */
export function checkToken(req: Request, token: string): void {
  if (token === '') throw createError('ADMIN_DISABLED');
  const header = req.headers.authorization;
  const given = /^Bearer (.+)$/i.exec(header ?? '')?.[1];
  if (given === undefined)
    throw createError('UNAUTHORIZED', {
      got: header === undefined ? 'no Authorization header' : 'another scheme',
    });
  if (!timingSafeEqual(digest(given), digest(token)))
    throw createError('UNAUTHORIZED', { got: 'a wrong token' });
}
