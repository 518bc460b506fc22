/**
 * Limits on receiving upload bodies, so that slow or numerous uploads cannot tie the server up: one client
 * address may have `uploadsPerClient` uploads in flight; the uploads in flight may hold
 * `uploadBytesInFlight` bytes in all; and each body must arrive by a deadline that grows with what has
 * arrived (as Apache's mod_reqtimeout MinRate does): `uploadGraceSeconds + received bytes /
 * uploadMinBytesPerSecond` after its headers, and never later than `uploadSeconds`. An upload is in flight
 * from its headers until its response closes.
 *
 * Bytes are read off the socket's counter, which leaves the body to the parsers that read it (a listener on
 * the request would start its flow before they attach). What came in the same read as the headers is not
 * counted: at most one read, which only makes the deadline a little stricter.
 */
import type { Socket } from 'node:net';
import type { Request, Response } from 'express';
import { type Config, DEFAULT_UPLOAD_LIMITS } from '../config.js';
import { type AesearchError, createError } from '../errors.js';
import { formatBytes } from './format.js';
import { RETRY_AFTER_S } from './work-queue.js';

/** The settings of the upload limits. */
export type UploadLimits = Pick<Config, keyof typeof DEFAULT_UPLOAD_LIMITS>;

/** The upload limits of `config`, the defaults where it has none. */
export function uploadLimits(config: Partial<UploadLimits>): UploadLimits {
  return {
    uploadSeconds: config.uploadSeconds ?? DEFAULT_UPLOAD_LIMITS.uploadSeconds,
    uploadGraceSeconds: config.uploadGraceSeconds ?? DEFAULT_UPLOAD_LIMITS.uploadGraceSeconds,
    uploadMinBytesPerSecond: config.uploadMinBytesPerSecond ?? DEFAULT_UPLOAD_LIMITS.uploadMinBytesPerSecond,
    uploadsPerClient: config.uploadsPerClient ?? DEFAULT_UPLOAD_LIMITS.uploadsPerClient,
    uploadBytesInFlight: config.uploadBytesInFlight ?? DEFAULT_UPLOAD_LIMITS.uploadBytesInFlight,
  };
}

/** How often the deadlines and the byte total are checked, in ms: a refusal comes at most this late. */
const CHECK_EVERY_MS = 100;

interface Upload {
  readonly address: string;
  readonly socket: Socket;
  /** The socket's bytesRead when the headers had arrived. */
  readonly baseline: number;
  /** The body's Content-Length, when it has one. */
  readonly declared: number | undefined;
  readonly startedMs: number;
  bytes: number;
  receiving: boolean;
  readonly refuse: (err: AesearchError) => void;
}

/** An IPv4 client of a dual-stack socket reads `::ffff:1.2.3.4`; it is the same client as `1.2.3.4`. */
function clientAddress(req: Request): string {
  const address = req.socket.remoteAddress ?? 'an unknown address';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function declaredLength(req: Request): number | undefined {
  const n = Number(req.headers['content-length']);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** The uploads in flight of one server process, and their limits. */
export class UploadGuard {
  /** In order of arrival: the newest are refused first when the bytes pass the limit. */
  private readonly uploads = new Set<Upload>();
  private readonly perAddress = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(readonly limits: UploadLimits) {}

  /** Uploads in flight (arriving, waiting or running) and the bytes they hold. */
  figures(): { inFlight: number; bytes: number } {
    return { inFlight: this.uploads.size, bytes: this.heldBytes() };
  }

  /**
   * Takes in the upload of `req`, or throws TOO_MANY_UPLOADS (its address has `uploadsPerClient` in
   * flight) or UPLOADS_BUSY (its Content-Length would pass `uploadBytesInFlight`). While its body
   * arrives, `onRefused` may get REQUEST_TIMEOUT (behind its deadline) or UPLOADS_BUSY (the bytes in
   * flight passed the limit): answer it and stop reading. Call the returned function once the body is in
   * memory. The upload is over when `res` closes.
   */
  admit(req: Request, res: Response, onRefused: (err: AesearchError) => void): () => void {
    const address = clientAddress(req);
    const { uploadsPerClient, uploadBytesInFlight } = this.limits;
    if ((this.perAddress.get(address) ?? 0) >= uploadsPerClient)
      throw createError('TOO_MANY_UPLOADS', { limit: uploadsPerClient, address, seconds: RETRY_AFTER_S });
    const declared = declaredLength(req);
    const held = this.heldBytes();
    if (held + (declared ?? 0) > uploadBytesInFlight) throw this.busy(held);
    const upload: Upload = {
      address,
      socket: req.socket,
      baseline: req.socket.bytesRead,
      declared,
      startedMs: performance.now(),
      bytes: 0,
      receiving: true,
      refuse: onRefused,
    };
    this.uploads.add(upload);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
    res.once('close', () => this.forget(upload));
    this.timer ??= setInterval(() => this.check(), CHECK_EVERY_MS).unref();
    return () => {
      this.measure(upload);
      upload.receiving = false;
    };
  }

  private busy(held: number): AesearchError {
    return createError('UPLOADS_BUSY', {
      held: formatBytes(held),
      limit: formatBytes(this.limits.uploadBytesInFlight),
      seconds: RETRY_AFTER_S,
    });
  }

  private measure(upload: Upload): void {
    if (upload.receiving) upload.bytes = Math.max(upload.bytes, upload.socket.bytesRead - upload.baseline);
  }

  private heldBytes(): number {
    let total = 0;
    for (const upload of this.uploads) {
      this.measure(upload);
      total += upload.bytes;
    }
    return total;
  }

  private deadlineMs(upload: Upload): number {
    const { uploadSeconds, uploadGraceSeconds, uploadMinBytesPerSecond } = this.limits;
    const allowed = Math.min(uploadSeconds, uploadGraceSeconds + upload.bytes / uploadMinBytesPerSecond);
    return upload.startedMs + allowed * 1000;
  }

  private check(): void {
    let held = this.heldBytes();
    const now = performance.now();
    for (const upload of [...this.uploads].reverse()) {
      if (!upload.receiving) continue;
      if (held > this.limits.uploadBytesInFlight) {
        held -= upload.bytes;
        this.refuse(upload, this.busy(held));
      } else if (now > this.deadlineMs(upload)) {
        this.refuse(upload, this.timedOut(upload, now));
      }
    }
    if (![...this.uploads].some((u) => u.receiving)) this.stopChecking();
  }

  private timedOut(upload: Upload, now: number): AesearchError {
    const { uploadSeconds, uploadGraceSeconds, uploadMinBytesPerSecond } = this.limits;
    const of = upload.declared === undefined ? '' : ` of ${formatBytes(upload.declared)}`;
    return createError('REQUEST_TIMEOUT', {
      rate: formatBytes(uploadMinBytesPerSecond),
      grace: uploadGraceSeconds,
      total: uploadSeconds,
      received: `${formatBytes(upload.bytes)}${of}`,
      seconds: ((now - upload.startedMs) / 1000).toFixed(1),
    });
  }

  private refuse(upload: Upload, err: AesearchError): void {
    upload.receiving = false;
    this.forget(upload);
    upload.refuse(err);
  }

  private forget(upload: Upload): void {
    if (!this.uploads.delete(upload)) return;
    const left = (this.perAddress.get(upload.address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(upload.address, left);
    else this.perAddress.delete(upload.address);
    if (this.uploads.size === 0) this.stopChecking();
  }

  private stopChecking(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
