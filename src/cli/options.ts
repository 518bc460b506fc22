/** Shared option parsers and options for the CLI commands (commander). */
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_FOLDER_SIDE, IDX_FORMAT, IMAGE_SIDE_RANGE_PX } from '../image/preprocess.js';
import { BACKEND_CHOICES } from '../tfjs/backend.js';

/** Parses an integer within [min, max] or throws commander's InvalidArgumentError. */
export function intIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    }
    return n;
  };
}

/** Parses a number within (min, max]. */
export function numberIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n <= min || n > max) {
      throw new InvalidArgumentError(`expected a number above ${min} and at most ${max}, got "${value}"`);
    }
    return n;
  };
}

/** --data, --image-size, --gray, --data-path, --index-dir and --backend, which most commands take. */
export function commonOptions(): Option[] {
  return [
    new Option(
      '--data <name|folder>',
      'dataset: fashion-mnist, mnist, or a folder of JPEG/PNG/WebP images (env AESEARCH_DATA)',
    ),
    new Option(
      '--image-size <px>',
      `side of an image folder's model input in pixels (default ${DEFAULT_FOLDER_SIDE}; fashion-mnist and mnist are ${IDX_FORMAT.side}) (env AESEARCH_IMAGE_SIZE)`,
    ).argParser(intIn(IMAGE_SIDE_RANGE_PX.min, IMAGE_SIDE_RANGE_PX.max)),
    new Option(
      '--gray',
      'decode an image folder to grayscale, light objects on dark (default: colour; fashion-mnist and mnist are grayscale) (env AESEARCH_GRAY=1)',
    ),
    new Option(
      '--data-path <dirs>',
      'colon-separated folders holding named datasets (env AESEARCH_DATA_PATH)',
    ),
    new Option(
      '--index-dir <dir>',
      'folder of built artifacts: model, vector indexes, manifests (env AESEARCH_INDEX_DIR)',
    ),
    new Option(
      '--store <url|dir>',
      'where the collection lives: postgres://user:pass@host:port/db for PostgreSQL + pgvector, or an index folder (the default, --index-dir) (env AESEARCH_STORE)',
    ),
    new Option('--backend <name>', 'tfjs backend (env AESEARCH_BACKEND)').choices(BACKEND_CHOICES),
  ];
}

/** The subset of parsed flags that feed loadConfig. */
export interface CommonFlags {
  data?: string;
  imageSize?: number;
  gray?: boolean;
  dataPath?: string;
  indexDir?: string;
  store?: string;
  backend?: string;
}

/** Maps common flags to config overrides. */
export function configOverrides(flags: CommonFlags): Record<string, unknown> {
  return {
    data: flags.data,
    imageSize: flags.imageSize,
    gray: flags.gray,
    dataPath: flags.dataPath?.split(':').filter(Boolean),
    indexDir: flags.indexDir,
    store: flags.store,
    backend: flags.backend,
  };
}
