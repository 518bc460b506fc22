/**
 * Reading the query images of POST /api/search: a multipart field `image` (multer, in memory) or a raw
 * body with an image/* content type (express.raw), both capped at the configured size and read under the
 * UploadGuard's limits (time, rate, uploads per address, bytes in flight). Their errors become
 * AesearchErrors here, so the error handler only sees codes a person can act on.
 */
import express, { type Request, type RequestHandler } from 'express';
import multer from 'multer';
import { type AesearchError, createError } from '../errors.js';
import { formatBytes } from './format.js';
import type { UploadGuard } from './upload-guard.js';

/** The multipart field that carries the query image. */
export const IMAGE_FIELD = 'image';

/** The most files one search takes in IMAGE_FIELD (a batch). */
export const MAX_BATCH_FILES = 32;

/** The uploaded image and how to name it in messages. */
export interface Upload {
  readonly bytes: Uint8Array;
  readonly what: string;
}

function contentLength(req: Request): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

function rawError(err: { type?: string; length?: number; message: string }, limit: number): AesearchError {
  if (err.type === 'entity.too.large') {
    const got = err.length === undefined ? 'more than that' : formatBytes(err.length);
    return createError('FILE_TOO_LARGE', { limit: formatBytes(limit), what: 'the request body', got });
  }
  return createError('BAD_REQUEST', { reason: err.message });
}

function formError(err: unknown, req: Request, limit: number): AesearchError {
  if (!(err instanceof multer.MulterError)) {
    return createError('BAD_MULTIPART', { reason: err instanceof Error ? err.message : String(err) });
  }
  const field = err.field ?? IMAGE_FIELD;
  switch (err.code) {
    case 'LIMIT_FILE_SIZE': {
      const size = contentLength(req);
      const got = size === undefined ? 'more than that' : `a request of ${formatBytes(size)}`;
      return createError('FILE_TOO_LARGE', { limit: formatBytes(limit), what: `field "${field}"`, got });
    }
    case 'LIMIT_FILE_COUNT':
      return createError('TOO_MANY_FILES', { limit: MAX_BATCH_FILES });
    case 'LIMIT_UNEXPECTED_FILE':
      return field === IMAGE_FIELD
        ? createError('TOO_MANY_FILES', { limit: MAX_BATCH_FILES })
        : createError('WRONG_FIELD', { got: field });
    default:
      return createError('BAD_MULTIPART', {
        reason: err.field ? `${err.message}: "${err.field}"` : err.message,
      });
  }
}

/**
 * Middleware that reads the images into `req.files` (multipart, up to MAX_BATCH_FILES, each capped at
 * `maxUploadBytes`) or `req.body` (a raw image/* body), once `guard` has taken the upload in; a refusal of
 * the guard's while the body arrives is answered at once, and whatever the parsers report afterwards is
 * ignored.
 */
export function readUpload(maxUploadBytes: number, guard: UploadGuard): RequestHandler {
  const raw = express.raw({ type: 'image/*', limit: maxUploadBytes });
  const form = multer({
    storage: multer.memoryStorage(),
    limits: {
      fileSize: maxUploadBytes,
      files: MAX_BATCH_FILES,
      fields: 16,
      parts: MAX_BATCH_FILES + 16,
      fieldSize: 64 * 1024,
    },
  }).array(IMAGE_FIELD, MAX_BATCH_FILES);
  return (req, res, next) => {
    let over = false;
    let received = () => {};
    const finish = (err?: unknown) => {
      if (over) return;
      over = true;
      received();
      next(err);
    };
    received = guard.admit(req, res, finish);
    raw(req, res, (err?: unknown) => {
      if (err) finish(rawError(err as Error, maxUploadBytes));
      else form(req, res, (e?: unknown) => finish(e ? formError(e, req, maxUploadBytes) : undefined));
    });
  };
}

/** Every image `readUpload` found (the files in field "image", or the raw body), each named by its file name. */
export function uploadedImages(req: Request): (Upload & { readonly name: string })[] {
  const files = formFiles(req);
  if (files.length === 0) return [{ ...uploadedImage(req), name: 'upload' }];
  return files.map((f, i) => ({
    bytes: f.buffer,
    what: `file "${f.originalname}"`,
    name: f.originalname || `upload-${i + 1}`,
  }));
}

function formFiles(req: Request): Express.Multer.File[] {
  return Array.isArray(req.files) ? req.files : [];
}

/** The number of images `readUpload` found: the files of a batch, or 1 (one image, or none). */
export function uploadCount(req: Request): number {
  return Math.max(1, formFiles(req).length);
}

/**
 * The images of a batch (two files or more in IMAGE_FIELD), in order, each an upload or, for an empty
 * file, its NO_FILE error; undefined when the request holds one image (or none).
 */
export function uploadedBatch(req: Request): (Upload | AesearchError)[] | undefined {
  const files = formFiles(req);
  if (files.length < 2) return undefined;
  return files.map((file, i) => {
    const what = `file ${i + 1} ("${file.originalname}") in field "${IMAGE_FIELD}"`;
    return file.size === 0
      ? createError('NO_FILE', { got: `an empty ${what}` })
      : { bytes: file.buffer, what };
  });
}

/** The image `readUpload` found; throws NO_FILE or UNSUPPORTED_MEDIA_TYPE when there is none. */
export function uploadedImage(req: Request): Upload {
  const [file] = formFiles(req);
  if (file) {
    if (file.size === 0) throw createError('NO_FILE', { got: `an empty file in field "${IMAGE_FIELD}"` });
    return { bytes: file.buffer, what: `field "${IMAGE_FIELD}"` };
  }
  if (Buffer.isBuffer(req.body)) {
    if (req.body.length === 0) throw createError('NO_FILE', { got: 'an empty body' });
    return { bytes: req.body, what: 'the request body' };
  }
  if (req.is('multipart/form-data')) {
    const fields = (req.body ?? {}) as Record<string, unknown>;
    if (typeof fields[IMAGE_FIELD] === 'string') {
      throw createError('NO_FILE', {
        got: `a text field "${IMAGE_FIELD}" instead of a file (with curl: -F ${IMAGE_FIELD}=@photo.png)`,
      });
    }
    throw createError('NO_FILE', { got: 'a multipart form without a file' });
  }
  const type = req.headers['content-type'];
  if (type === undefined || contentLength(req) === undefined)
    throw createError('NO_FILE', { got: 'no body' });
  throw createError('UNSUPPORTED_MEDIA_TYPE', { got: type });
}
