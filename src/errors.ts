/**
 * One table of error codes: each maps to an HTTP status and a message template a person can act on.
 * Library code throws `AesearchError`s made by `createError`; entry points print or serialise them.
 * Each template names its arguments, and `createError` takes them by name, so a missing, extra or
 * swapped argument is a type error.
 */

/** A value a message shows. */
type Arg = string | number;

interface ErrorSpec {
  readonly status: number;
  // `never`: any template, whatever its named arguments, fits the table
  readonly message: (args: never) => string;
}

const ERRORS = {
  // configuration and environment
  BACKEND_UNAVAILABLE: {
    status: 500,
    message: ({ name, fix }: { name: Arg; fix: Arg }) =>
      `The ${name} backend could not be loaded; ${fix}, or choose --backend auto`,
  },
  BAD_OPTION: {
    status: 400,
    message: ({ name, expected, got }: { name: Arg; expected: Arg; got: Arg }) =>
      `Expected ${name} to be ${expected} but received ${got}`,
  },
  // datasets
  DATASET_NOT_FOUND: {
    status: 500,
    message: ({ name, looked }: { name: Arg; looked: Arg }) =>
      `No dataset "${name}" found (looked in ${looked}); ${datasetHelp(name)}`,
  },
  IDX_BAD_MAGIC: {
    status: 500,
    message: ({ file, expected, got }: { file: Arg; expected: Arg; got: Arg }) =>
      `${file} is not an IDX file: expected magic number ${expected} but found ${got}`,
  },
  IDX_TRUNCATED: {
    status: 500,
    message: ({ file, expected, got }: { file: Arg; expected: Arg; got: Arg }) =>
      `${file} is truncated: expected ${expected} but it holds ${got}; download it again`,
  },
  IDX_COUNT_MISMATCH: {
    status: 500,
    message: ({
      images,
      imageCount,
      labels,
      labelCount,
    }: {
      images: Arg;
      imageCount: Arg;
      labels: Arg;
      labelCount: Arg;
    }) =>
      `${images} holds ${imageCount} images but ${labels} holds ${labelCount} labels; they must be a matching pair`,
  },
  IDX_UNREADABLE: {
    status: 500,
    message: ({ file, reason }: { file: Arg; reason: Arg }) => `Cannot read ${file}: ${reason}`,
  },
  EMPTY_DATASET: {
    status: 500,
    message: ({ where }: { where: Arg }) => `No readable JPEG, PNG or WebP images in ${where}`,
  },
  // model and index artifacts
  NO_MODEL: {
    status: 503,
    message: ({ where }: { where: Arg }) => `No trained model at ${where}; run \`aesearch train\` first`,
  },
  NO_INDEX: {
    status: 503,
    message: ({ where }: { where: Arg }) => `No index at ${where}; run \`aesearch index\` first`,
  },
  NO_COLLECTION: {
    status: 503,
    message: ({ where }: { where: Arg }) =>
      `No collection at ${where}; run \`aesearch index\` to seed it from --data`,
  },
  COLLECTION_CORRUPT: {
    status: 500,
    message: ({ where, why }: { where: Arg; why: Arg }) =>
      `${where} cannot be read as a collection (${why}); move it away and run \`aesearch index\` to seed a new one`,
  },
  INDEX_MISMATCH: {
    status: 503,
    message: ({ file, what, index, current }: { file: Arg; what: Arg; index: Arg; current: Arg }) =>
      `The index (${file}) was built with ${what} ${index} but the current one is ${current}; run \`aesearch index\` to rebuild it`,
  },
  INDEX_CORRUPT: {
    status: 503,
    message: ({ file, reason }: { file: Arg; reason: Arg }) =>
      `${file} cannot be loaded (${reason}); run \`aesearch index\` to rebuild it`,
  },
  MODEL_CORRUPT: {
    status: 503,
    message: ({ file, reason }: { file: Arg; reason: Arg }) =>
      `The trained model at ${file} cannot be loaded (${reason}); run \`aesearch train\`, then \`aesearch index\``,
  },
  INDEX_LOCKED: {
    status: 409,
    message: ({ dir, holder }: { dir: Arg; holder: Arg }) =>
      `${dir} is being changed by ${holder}; wait for it to finish or pass --wait`,
  },
  CHECKPOINT_MISMATCH: {
    status: 500,
    message: ({ dir, saved, asked }: { dir: Arg; saved: Arg; asked: Arg }) =>
      `The checkpoint in ${dir} was made with ${saved}; this run asks for ${asked}; run with the checkpoint's settings or drop --resume`,
  },
  NO_CHECKPOINT: {
    status: 500,
    message: ({ where }: { where: Arg }) =>
      `--resume was given but there is no checkpoint at ${where}; train without --resume first`,
  },
  CHECKPOINT_CORRUPT: {
    status: 500,
    message: ({ file, reason }: { file: Arg; reason: Arg }) =>
      `The checkpoint ${file} cannot be used (${reason}); train without --resume to start over`,
  },
  // the PostgreSQL store
  STORE_UNREACHABLE: {
    status: 503,
    message: ({ host, why }: { host: Arg; why: Arg }) =>
      `Cannot reach the PostgreSQL store at ${host} (${why}); check that the server runs and the URL in --store/AESEARCH_STORE`,
  },
  STORE_SCHEMA: {
    status: 503,
    message: ({ host, found, expected }: { host: Arg; found: Arg; expected: Arg }) =>
      `The PostgreSQL store at ${host} has ${found} but this aesearch needs schema version ${expected}; run \`aesearch index --store URL\` to create or migrate it`,
  },
  PIXEL_SPACE_TOO_WIDE: {
    status: 409,
    message: ({ dims, limit }: { dims: Arg; limit: Arg }) =>
      `The pixel space has ${dims} dims but pgvector's HNSW index takes at most ${limit} (halfvec); search the code space, or use the embedded store for pixel search`,
  },
  // evaluation
  EVAL_NEEDS_LABELS: {
    status: 500,
    message: ({ name }: { name: Arg }) =>
      `Evaluation measures label precision, but dataset ${name} has no labels; use a labelled dataset (fashion-mnist, mnist, or a folder with one sub-folder per label)`,
  },
  // queries
  NOT_AN_IMAGE: {
    status: 415,
    message: ({ what, reason }: { what: Arg; reason: Arg }) =>
      `Expected an image (PNG, JPEG, WebP or GIF) in ${what} but could not decode it: ${reason}`,
  },
  UNSUPPORTED_IMAGE_TYPE: {
    status: 415,
    message: ({ what, got }: { what: Arg; got: Arg }) =>
      `Expected a PNG, JPEG, GIF or WebP image in ${what} but received ${got}; convert it to PNG or JPEG`,
  },
  IMAGE_TOO_LARGE: {
    status: 413,
    message: ({ what, limit, declared }: { what: Arg; limit: Arg; declared: Arg }) =>
      `Expected an image of at most ${limit} pixels in ${what} but it declares ${declared}; refused before decoding, send a downscaled image`,
  },
  IMAGE_TOO_COSTLY: {
    status: 413,
    message: ({
      what,
      image,
      need,
      limit,
      advice,
    }: {
      what: Arg;
      image: Arg;
      need: Arg;
      limit: Arg;
      advice: Arg;
    }) =>
      `Expected an image that decodes within the server's budget in ${what} but received ${image}, which ${need} (the limit is ${limit}); refused before decoding, ${advice}`,
  },
  DECODE_TIMEOUT: {
    status: 422,
    message: ({ what, image, seconds }: { what: Arg; image: Arg; seconds: Arg }) =>
      `Decoding ${image} in ${what} took longer than the ${seconds} s allowed; send it smaller, or as a baseline JPEG or non-interlaced 8-bit PNG`,
  },
  FILE_NOT_FOUND: {
    status: 404,
    message: ({ file }: { file: Arg }) => `No file at ${file}`,
  },
  SEARCHES_FAILED: {
    status: 422,
    message: ({ failed, total }: { failed: Arg; total: Arg }) =>
      `${failed} of ${total} images could not be searched (their errors are above); the others were answered`,
  },
  SPACE_UNAVAILABLE: {
    status: 409,
    message: ({ space }: { space: Arg }) =>
      `The index has no ${space} space; rebuild it with \`aesearch index\` (without --no-pixel)`,
  },
  EMBEDDED_ONLY: {
    status: 409,
    message: ({ what, where }: { what: Arg; where: Arg }) =>
      `${what} works on the embedded store (an index folder) only, and this collection is in ${where}; run it with --store set to an index folder`,
  },
  MAP_UNAVAILABLE: {
    status: 409,
    message: () =>
      'The index has no map of the collection (it was built before maps were made); rebuild it with `aesearch index`',
  },
  ITEM_NOT_FOUND: {
    status: 404,
    message: ({ id }: { id: Arg }) =>
      `No item with id ${id} in the collection (never added, or removed); GET /api/items lists the items`,
  },
  // http requests
  BAD_PARAMETER: {
    status: 400,
    message: ({ name, expected, got }: { name: Arg; expected: Arg; got: Arg }) =>
      `Expected ${name} to be ${expected} but received ${got}`,
  },
  FILE_TOO_LARGE: {
    status: 413,
    message: ({ limit, what, got }: { limit: Arg; what: Arg; got: Arg }) =>
      `Expected an image of at most ${limit} in ${what} but received ${got}; send a smaller or downscaled image`,
  },
  NO_FILE: {
    status: 400,
    message: ({ got }: { got: Arg }) =>
      `Expected an image in multipart field "image" or as the request body with an image/* content type, but received ${got}`,
  },
  WRONG_FIELD: {
    status: 400,
    message: ({ got }: { got: Arg }) =>
      `Expected the image in multipart field "image" but received a file in field "${got}"; rename the field to "image"`,
  },
  TOO_MANY_FILES: {
    status: 400,
    message: ({ limit }: { limit: Arg }) =>
      `Expected at most ${limit} files in multipart field "image" but received more; send at most ${limit} images per search`,
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    message: ({ got }: { got: Arg }) =>
      `Expected a multipart/form-data body or an image/* body but received content type ${got}; send the image with curl -F image=@file.png or as image/png`,
  },
  BAD_MULTIPART: {
    status: 400,
    message: ({ reason }: { reason: Arg }) =>
      `The multipart form could not be read (${reason}); send well-formed multipart/form-data with the image in field "image"`,
  },
  BAD_REQUEST: {
    status: 400,
    message: ({ reason }: { reason: Arg }) => `The request could not be read: ${reason}`,
  },
  ROUTE_NOT_FOUND: {
    status: 404,
    message: ({ method, path }: { method: Arg; path: Arg }) =>
      `No route ${method} ${path}; the API is listed in docs/api.md (GET /api/health checks the server)`,
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    message: ({ method, path, allowed }: { method: Arg; path: Arg; allowed: Arg }) =>
      `${path} does not take ${method}; use ${allowed}`,
  },
  OVERLOADED: {
    status: 503,
    message: ({ limit, seconds }: { limit: Arg; seconds: Arg }) =>
      `The server is busy (${limit} searches in flight, its limit); retry in ${seconds} s, as the Retry-After header says`,
  },
  DECODE_BUSY: {
    status: 503,
    message: ({ image, count, seconds }: { image: Arg; count: Arg; seconds: Arg }) =>
      `The server is already decoding or queueing ${count} costly images, its limit, and ${image} is another; retry in ${seconds} s, as the Retry-After header says, or send it smaller or as a baseline JPEG, which does not wait in that line`,
  },
  BAD_HOST: {
    status: 421,
    message: ({ got, allowed }: { got: Arg; allowed: Arg }) =>
      `This server answers for ${allowed} but the request's Host header is ${got}; open it through one of those, or start it with that name in AESEARCH_ALLOWED_HOSTS (--allowed-hosts)`,
  },
  REQUEST_TIMEOUT: {
    status: 408,
    message: ({
      rate,
      grace,
      total,
      received,
      seconds,
    }: {
      rate: Arg;
      grace: Arg;
      total: Arg;
      received: Arg;
      seconds: Arg;
    }) =>
      `Expected the request body to arrive at ${rate}/s or faster after its first ${grace} s, and in full within ${total} s, but received ${received} in ${seconds} s; send it over a faster connection, or a smaller image`,
  },
  TOO_MANY_UPLOADS: {
    status: 429,
    message: ({ limit, address, seconds }: { limit: Arg; address: Arg; seconds: Arg }) =>
      `Expected at most ${limit} uploads at a time from one client address but received another from ${address}; wait for an answer before sending the next one (retry in ${seconds} s, as the Retry-After header says)`,
  },
  UPLOADS_BUSY: {
    status: 503,
    message: ({ held, limit, seconds }: { held: Arg; limit: Arg; seconds: Arg }) =>
      `The server is receiving ${held} of uploads and this one would pass its limit of ${limit}; retry in ${seconds} s, as the Retry-After header says`,
  },
  ADMIN_DISABLED: {
    status: 403,
    message: () =>
      'Changing the collection or reloading over HTTP is disabled because no admin token is set; start the server with AESEARCH_ADMIN_TOKEN set (it also reloads by itself when index/manifest.json changes)',
  },
  UNAUTHORIZED: {
    status: 401,
    message: ({ got }: { got: Arg }) =>
      `Expected the admin token in an "Authorization: Bearer <token>" header but received ${got}; use the value of AESEARCH_ADMIN_TOKEN`,
  },
  RELOAD_FAILED: {
    status: 409,
    message: ({ reason, served }: { reason: Arg; served: Arg }) =>
      `The index on disk could not be loaded: ${reason}. Still serving ${served}`,
  },
  WORKER_FAILED: {
    status: 500,
    message: ({ pid, code }: { pid: Arg; code: Arg }) =>
      `Server process ${pid} exited with ${code} before it listened (its error is above); fix that and start again`,
  },
  NO_WORKERS_LEFT: {
    status: 500,
    message: ({ why, pid, how, words }: { why: Arg; pid: Arg; how: Arg; words: Arg }) =>
      `No server process is left and none is started (${why}); the last one, pid ${pid}, exited with ${how}, ${words}; fix that and start again`,
  },
  INTERNAL: {
    status: 500,
    message: () => 'Internal server error; the server log has the details',
  },
  PORT_IN_USE: {
    status: 500,
    message: ({ host, port }: { host: Arg; port: Arg }) =>
      `Port ${port} on ${host} is already in use; stop the other server or choose another with --port`,
  },
} satisfies Record<string, ErrorSpec>;

/** Every known error code. */
export type ErrorCode = keyof typeof ERRORS;

function datasetHelp(name: Arg): string {
  if (name === 'mnist') return 'put the four MNIST IDX files into data/mnist/';
  if (name === 'fashion-mnist')
    return 'restore data/fashion-mnist/ from git, or `apt-get install dataset-fashion-mnist`';
  return 'give --data fashion-mnist, mnist, or a folder of JPEG/PNG/WebP images';
}

/** An error with a stable code, an HTTP status and a message a person can act on. */
export class AesearchError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, status: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AesearchError';
    this.code = code;
    this.status = status;
  }
}

/** The named arguments of `code`'s message: none, or one object. */
export type ErrorArgs<C extends ErrorCode> = Parameters<(typeof ERRORS)[C]['message']>;

/** Builds the error for `code`, filling its message template with its named arguments. */
export function createError<C extends ErrorCode>(code: C, ...args: ErrorArgs<C>): AesearchError {
  const message = ERRORS[code].message as (named?: Record<string, Arg>) => string;
  return new AesearchError(code, message(args[0] as Record<string, Arg> | undefined), ERRORS[code].status);
}

/** True when `err` is an AesearchError (optionally with the given code). */
export function isAesearchError(err: unknown, code?: ErrorCode): err is AesearchError {
  return err instanceof AesearchError && (code === undefined || err.code === code);
}
