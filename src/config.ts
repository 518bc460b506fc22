/**
 * Configuration: defaults < environment (AESEARCH_*) < CLI flags, as one typed, frozen object.
 * The only module that reads process.env.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createError } from './errors.js';
import { DEFAULT_DECODE_BUDGET } from './image/decode-budget.js';
import { IMAGE_SIDE_RANGE_PX } from './image/preprocess.js';
import { DEFAULT_UNUSUAL_PERCENTILE } from './store/error-distribution.js';
import { isPostgresUrl } from './store/store-url.js';
import { BACKEND_CHOICES } from './tfjs/backend.js';

function findPackageRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return from;
    dir = up;
  }
  return dir;
}

/** The aesearch package's folder (holds data/ and public/). */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

/** Upload limit by default, in bytes. */
export const DEFAULT_MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** Searches in flight by default (waiting or running): room for 50 busy clients. */
export const DEFAULT_QUEUE_LIMIT = 64;

/** Bytes of encoded item images kept in memory by default (thousands: one at the page's sizes is a few KB). */
export const DEFAULT_IMAGE_CACHE_BYTES = 32 * 1024 * 1024;

/** The shortest admin token accepted: guessing 16 random characters over HTTP is out of reach. */
export const MIN_ADMIN_TOKEN_CHARS = 16;

/**
 * Limits on receiving uploads, by default. A body must arrive at 8 KB/s or faster after its first 10 s
 * (an allowance that grows with each byte, as Apache's mod_reqtimeout MinRate) and in full within 60 s;
 * one client address may have 8 uploads in flight; the uploads in flight may hold 256 MB in all.
 */
export const DEFAULT_UPLOAD_LIMITS = Object.freeze({
  uploadSeconds: 60,
  uploadGraceSeconds: 10,
  uploadMinBytesPerSecond: 8 * 1024,
  uploadsPerClient: 8,
  uploadBytesInFlight: 256 * 1024 * 1024,
});

const schema = z
  .object({
    /** Folder of built artifacts: model, vector indexes, manifests. */
    indexDir: z.string().min(1),
    /**
     * Where the collection lives: a `postgres://` URL (PostgreSQL + pgvector), or null for the embedded
     * store in indexDir. A path given as the store sets indexDir instead.
     */
    store: z.string().min(1).nullable(),
    /** Dataset name (fashion-mnist, mnist) or a folder of images. */
    data: z.string().min(1),
    /** Side of an image folder's model input, in pixels; unset means 32 (the named datasets are 28). */
    imageSize: z.number().int().min(IMAGE_SIDE_RANGE_PX.min).max(IMAGE_SIDE_RANGE_PX.max).optional(),
    /** Decode an image folder to grayscale (light objects on dark) instead of colour. */
    gray: z.boolean(),
    /** Folders searched for named datasets, in order. */
    dataPath: z.array(z.string().min(1)).min(1),
    backend: z.enum(BACKEND_CHOICES),
    port: z.number().int().min(0).max(65535),
    host: z.string().min(1),
    maxUploadBytes: z.number().int().positive(),
    /** Searches in flight at most (waiting or running, once their body is read); past it, 503 OVERLOADED. */
    queueLimit: z.number().int().positive(),
    /** Seconds an upload's body may take to arrive in full; then 408 REQUEST_TIMEOUT. */
    uploadSeconds: z.number().positive(),
    /** Seconds an upload's body may take before the minimum rate applies. */
    uploadGraceSeconds: z.number().positive(),
    /** Bytes per second a body must average after the grace seconds; slower gets 408 REQUEST_TIMEOUT. */
    uploadMinBytesPerSecond: z.number().int().positive(),
    /** Uploads in flight (arriving, waiting or running) per client address; past it, 429 TOO_MANY_UPLOADS. */
    uploadsPerClient: z.number().int().positive(),
    /** Bytes of the uploads in flight, in all; an upload that would pass it gets 503 UPLOADS_BUSY. */
    uploadBytesInFlight: z.number().int().positive(),
    /** Server processes (one per core with `auto`); each loads the index. */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(64)]),
    /** Most decoder memory one upload may need, estimated from its header. */
    maxDecodeBytes: z.number().int().positive(),
    /** sharp's timeout for one decode, in seconds. */
    decodeTimeoutS: z.number().int().min(1).max(3600),
    /** Bytes of encoded item images cached per process. */
    imageCacheBytes: z.number().int().min(0),
    /** Host header names answered besides the listening address and localhost; `*` for any. */
    allowedHosts: z.array(z.string().min(1)),
    /** Guards POST /api/admin/reload; reload is disabled when empty. */
    adminToken: z.string().refine((t) => t === '' || t.length >= MIN_ADMIN_TOKEN_CHARS, {
      message: `at least ${MIN_ADMIN_TOKEN_CHARS} characters long (for example \`openssl rand -hex 16\`), or empty to disable reloads over HTTP`,
    }),
    /** Folder of the web page. */
    publicDir: z.string().min(1),
    /** A query is unusual when its unusual-query score is above this percentile of the collection's items'. */
    unusualPercentile: z
      .number()
      .gt(0, { error: 'a percentile above 0 and at most 100' })
      .max(100, { error: 'a percentile above 0 and at most 100' }),
  })
  .refine((c) => c.uploadBytesInFlight >= c.maxUploadBytes, {
    // Below it, an upload of the largest allowed size would be refused forever.
    message: 'at least the upload limit (maxUploadBytes)',
    path: ['uploadBytesInFlight'],
  });

/** aesearch's configuration. */
export type Config = Readonly<z.infer<typeof schema>>;

/** Environment variables read by `loadConfig`, and the keys they set. */
export const ENV_VARS = {
  AESEARCH_INDEX_DIR: 'indexDir',
  AESEARCH_STORE: 'store',
  AESEARCH_DATA: 'data',
  AESEARCH_DATA_PATH: 'dataPath',
  AESEARCH_IMAGE_SIZE: 'imageSize',
  AESEARCH_GRAY: 'gray',
  AESEARCH_BACKEND: 'backend',
  AESEARCH_PORT: 'port',
  AESEARCH_HOST: 'host',
  AESEARCH_MAX_UPLOAD_BYTES: 'maxUploadBytes',
  AESEARCH_QUEUE_LIMIT: 'queueLimit',
  AESEARCH_UPLOAD_SECONDS: 'uploadSeconds',
  AESEARCH_UPLOAD_GRACE_SECONDS: 'uploadGraceSeconds',
  AESEARCH_UPLOAD_MIN_BYTES_PER_SECOND: 'uploadMinBytesPerSecond',
  AESEARCH_UPLOADS_PER_CLIENT: 'uploadsPerClient',
  AESEARCH_UPLOAD_BYTES_IN_FLIGHT: 'uploadBytesInFlight',
  AESEARCH_WORKERS: 'workers',
  AESEARCH_MAX_DECODE_BYTES: 'maxDecodeBytes',
  AESEARCH_DECODE_TIMEOUT_S: 'decodeTimeoutS',
  AESEARCH_IMAGE_CACHE_BYTES: 'imageCacheBytes',
  AESEARCH_ALLOWED_HOSTS: 'allowedHosts',
  AESEARCH_ADMIN_TOKEN: 'adminToken',
  AESEARCH_UNUSUAL_PERCENTILE: 'unusualPercentile',
} as const satisfies Record<string, keyof Config>;

function defaults(cwd: string): Config {
  return {
    indexDir: join(cwd, 'index'),
    store: null,
    data: 'fashion-mnist',
    gray: false,
    dataPath: [join(PACKAGE_ROOT, 'data'), '/usr/share/datasets'],
    backend: 'auto',
    port: 3000,
    host: '127.0.0.1',
    maxUploadBytes: DEFAULT_MAX_UPLOAD_BYTES,
    queueLimit: DEFAULT_QUEUE_LIMIT,
    ...DEFAULT_UPLOAD_LIMITS,
    workers: 1,
    maxDecodeBytes: DEFAULT_DECODE_BUDGET.maxMemoryBytes,
    decodeTimeoutS: DEFAULT_DECODE_BUDGET.timeoutS,
    imageCacheBytes: DEFAULT_IMAGE_CACHE_BYTES,
    allowedHosts: [],
    adminToken: '',
    publicDir: join(PACKAGE_ROOT, 'public'),
    unusualPercentile: DEFAULT_UNUSUAL_PERCENTILE,
  };
}

const NUMERIC_KEYS = new Set<keyof Config>([
  'port',
  'imageSize',
  'maxUploadBytes',
  'queueLimit',
  'maxDecodeBytes',
  'decodeTimeoutS',
  'imageCacheBytes',
  'unusualPercentile',
  ...(Object.keys(DEFAULT_UPLOAD_LIMITS) as (keyof Config)[]),
]);

/** Settings that also have a command-line flag (the others are set in the environment). */
const CLI_KEYS = new Set<string>([
  'indexDir',
  'store',
  'data',
  'dataPath',
  'imageSize',
  'gray',
  'backend',
  'port',
  'host',
  'workers',
  'allowedHosts',
  'unusualPercentile',
]);

/** A comma- or space-separated list of host names, as AESEARCH_ALLOWED_HOSTS and --allowed-hosts take it. */
export function splitHosts(raw: string): string[] {
  return raw.split(/[\s,]+/).filter(Boolean);
}

/** The words AESEARCH_GRAY (a switch) takes; anything else is refused as not a boolean. */
const BOOLEAN_WORDS: Readonly<Record<string, boolean>> = {
  1: true,
  true: true,
  yes: true,
  0: false,
  false: false,
  no: false,
};

function fromEnv(env: NodeJS.ProcessEnv): Partial<Record<keyof Config, unknown>> {
  const out: Partial<Record<keyof Config, unknown>> = {};
  for (const [name, key] of Object.entries(ENV_VARS)) {
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    if (key === 'dataPath') out[key] = raw.split(':').filter(Boolean);
    else if (key === 'allowedHosts') out[key] = splitHosts(raw);
    else if (NUMERIC_KEYS.has(key)) out[key] = Number(raw);
    else if (key === 'workers') out[key] = raw === 'auto' ? raw : Number(raw);
    else if (key === 'gray') out[key] = BOOLEAN_WORDS[raw.toLowerCase()] ?? raw;
    else out[key] = raw;
  }
  return out;
}

/**
 * Builds the configuration from defaults, then `env`, then `overrides` (CLI flags; undefined values
 * are ignored). Relative paths resolve against `cwd`. Throws BAD_OPTION naming the bad setting.
 */
export function loadConfig(
  overrides: Partial<Record<keyof Config, unknown>> = {},
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Config {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const merged = { ...defaults(cwd), ...fromEnv(env), ...given };
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? 'config');
    const envName = Object.entries(ENV_VARS).find(([, k]) => k === key)?.[0];
    const value = (merged as Record<string, unknown>)[key];
    // A secret is never echoed, not even a bad one.
    const received =
      key === 'adminToken' && typeof value === 'string'
        ? `${value.length} characters`
        : JSON.stringify(value);
    throw createError('BAD_OPTION', {
      name: envName ? `${key} (${CLI_KEYS.has(key) ? `--${kebab(key)} or ` : ''}${envName})` : key,
      expected: issue?.message ?? 'valid',
      got: received,
    });
  }
  const c = parsed.data;
  const folderStore = c.store !== null && !isPostgresUrl(c.store) ? c.store : null;
  return Object.freeze({
    ...c,
    store: folderStore === null ? c.store : null,
    indexDir: resolve(cwd, folderStore ?? c.indexDir),
    data: c.data in { 'fashion-mnist': 1, mnist: 1 } ? c.data : resolve(cwd, c.data),
    dataPath: Object.freeze(c.dataPath.map((p) => resolve(cwd, p))) as string[],
    publicDir: resolve(cwd, c.publicDir),
  });
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
}
