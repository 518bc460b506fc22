/**
 * Validation of query and path parameters with zod. Each parameter carries what it should be, in words,
 * so a bad one becomes BAD_PARAMETER naming the parameter, what was expected and what arrived.
 */
import { z } from 'zod';
import { createError } from '../errors.js';
import type { ListOptions } from '../search/catalog.js';
import type { QuerySpace, SearchOptions, SearchService } from '../search/search-service.js';
import { describeValue } from './format.js';

/** A request parameter: a zod schema from the raw string to its value, and its expectation in words. */
export interface Param<T> {
  readonly schema: z.ZodType<T>;
  readonly expected: string;
}

/** Bounds of `k`, the number of neighbours per space. */
export const K_RANGE = { min: 1, max: 100, fallback: 10 } as const;

/** Bounds of `size`, the side of item images in px; the default is 4x a 28 px item. */
export const IMAGE_SIZE_RANGE = { min: 28, max: 560, fallback: 112 } as const;

/**
 * The sizes item images are made at, in px: a 28 px item at 1, 2, 4, 8, 16 and 20 times. A `size` is
 * rounded up to the next one, so a sweep of every size makes 6 images per item, not 533.
 */
export const IMAGE_SIZE_STEPS = [28, 56, 112, 224, 448, 560] as const;

/** Bounds of `limit` when browsing items. */
export const PAGE_LIMIT_RANGE = { min: 1, max: 200, fallback: 48 } as const;

/** The `space` parameter's values; `both` means every space the index has. */
export const SPACE_CHOICES = ['code', 'pixel', 'both'] as const;

/** A whole number in [min, max], written in decimal digits. */
export function wholeNumber(min: number, max: number): Param<number> {
  return {
    schema: z
      .string()
      .regex(/^\d{1,15}$/)
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
    expected: `a whole number from ${min} to ${max}`,
  };
}

/** One of `choices`. */
export function oneOf<const T extends readonly [string, ...string[]]>(choices: T): Param<T[number]> {
  return { schema: z.enum(choices), expected: `one of ${choices.join(', ')}` };
}

/** A finite decimal number of at least 0. */
export function nonNegativeNumber(): Param<number> {
  return {
    schema: z
      .string()
      .regex(/^(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/)
      .transform(Number)
      .pipe(z.number().min(0)),
    expected: 'a finite number of at least 0',
  };
}

type Source = Record<string, unknown>;

/** Reads `name` from `source` (a query or path object); undefined when absent; throws BAD_PARAMETER. */
export function optionalParam<T>(
  source: Source,
  where: 'query' | 'path',
  name: string,
  param: Param<T>,
): T | undefined {
  const raw = source[name];
  if (raw === undefined) return undefined;
  const parsed = param.schema.safeParse(raw);
  if (!parsed.success) {
    throw createError('BAD_PARAMETER', {
      name: `${where} parameter "${name}"`,
      expected: param.expected,
      got: describeValue(raw),
    });
  }
  return parsed.data;
}

/** Like `optionalParam`, with `fallback` when absent. */
export function paramOr<T>(
  source: Source,
  where: 'query' | 'path',
  name: string,
  param: Param<T>,
  fallback: T,
): T {
  return optionalParam(source, where, name, param) ?? fallback;
}

// Built once: building a zod schema costs far more than a parse (4% of a worker's CPU under load, profiled).
const K_PARAM = wholeNumber(K_RANGE.min, K_RANGE.max);
const SPACE_PARAM = oneOf(SPACE_CHOICES);
const MAX_DISTANCE_PARAM = nonNegativeNumber();
const ID_SCHEMA = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);

/** The number of labels `service`'s dataset has (0 without labels). */
export function labelCount(service: SearchService): number {
  return service.source.labelNames().length;
}

/** A label of a dataset with `classes` labels (none accepted when it has none). */
function labelParam(classes: number): Param<number> {
  return classes > 0
    ? wholeNumber(0, classes - 1)
    : { schema: z.never(), expected: 'absent (this dataset has no labels)' };
}

/** The repeatable `label` parameter: the labels asked for, or undefined when absent; throws BAD_PARAMETER. */
function labelFilter(query: Source, classes: number): number[] | undefined {
  const raw = query.label;
  if (raw === undefined) return undefined;
  const param = labelParam(classes);
  return (Array.isArray(raw) ? raw : [raw]).map(
    (value) => optionalParam({ label: value }, 'query', 'label', param) ?? -1,
  );
}

/**
 * k, spaces, maxDistance and labels of a search; `both` expands to the spaces the index has, and a label
 * must be one of the `classes` labels of the dataset.
 */
export function searchOptions(
  query: Source,
  available: readonly QuerySpace[],
  classes: number,
): SearchOptions & { k: number } {
  const k = paramOr(query, 'query', 'k', K_PARAM, K_RANGE.fallback);
  const space = paramOr(query, 'query', 'space', SPACE_PARAM, 'both');
  const maxDistance = optionalParam(query, 'query', 'maxDistance', MAX_DISTANCE_PARAM);
  const labels = labelFilter(query, classes);
  const spaces = space === 'both' ? available : [space];
  return {
    k,
    spaces,
    ...(maxDistance === undefined ? {} : { maxDistance }),
    ...(labels === undefined ? {} : { labels }),
  };
}

const ID_PARAM: Param<number> = { schema: ID_SCHEMA, expected: 'a whole number (an item id)' };

/** The `:id` path parameter: a whole number; an id that is no item is left to the service (404). */
export function itemId(params: Source): number {
  return paramOr(params, 'path', 'id', ID_PARAM, -1);
}

/** The `size` of an item image in px, rounded up to one of IMAGE_SIZE_STEPS. */
export function imageSize(query: Source): number {
  const { min, max, fallback } = IMAGE_SIZE_RANGE;
  const size = paramOr(query, 'query', 'size', wholeNumber(min, max), fallback);
  return IMAGE_SIZE_STEPS.find((step) => step >= size) ?? max;
}

/** offset, limit and label for browsing; label must be one of the dataset's labels. */
export function listOptions(query: Source, service: SearchService): ListOptions {
  const { min, max, fallback } = PAGE_LIMIT_RANGE;
  const offset = paramOr(query, 'query', 'offset', wholeNumber(0, service.count), 0);
  const limit = paramOr(query, 'query', 'limit', wholeNumber(min, max), fallback);
  const label = optionalParam(query, 'query', 'label', labelParam(labelCount(service)));
  return label === undefined ? { offset, limit } : { offset, limit, label };
}

/** Bounds of `limit` for pages of near-duplicate groups. */
export const DUPLICATES_LIMIT_RANGE = { min: 1, max: 200, fallback: 20 } as const;

const OFFSET_PARAM = wholeNumber(0, 1_000_000_000);
const DUPLICATES_LIMIT_PARAM = wholeNumber(DUPLICATES_LIMIT_RANGE.min, DUPLICATES_LIMIT_RANGE.max);

/** maxDistance (absent: the collection's default D), offset and limit of GET /api/duplicates. */
export function duplicatesOptions(query: Source): { maxDistance?: number; offset: number; limit: number } {
  const maxDistance = optionalParam(query, 'query', 'maxDistance', MAX_DISTANCE_PARAM);
  const offset = paramOr(query, 'query', 'offset', OFFSET_PARAM, 0);
  const limit = paramOr(query, 'query', 'limit', DUPLICATES_LIMIT_PARAM, DUPLICATES_LIMIT_RANGE.fallback);
  return maxDistance === undefined ? { offset, limit } : { maxDistance, offset, limit };
}
