/**
 * Reads a JSON file against a zod schema. A file that is not valid is refused with a reason a person can
 * act on: the field's path, what it should be and what it is (`its field "code.dims" should be a number
 * but is "8"`).
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';

/** The errors a reader throws: the file is not there, or it cannot be read or is not what the schema says (`reason`). */
export interface JsonFileErrors {
  readonly missing: () => Error;
  readonly corrupt: (reason: string) => Error;
}

/** Reads and validates `file`; throws `errors.missing()` or `errors.corrupt(reason)`. */
export async function readJsonFile<S extends z.ZodType>(
  file: string,
  schema: S,
  errors: JsonFileErrors,
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    // only an absent file is missing; one that is there but unreadable (a folder, no permission) is damaged
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? errors.missing() : errors.corrupt(`it cannot be read: ${code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw errors.corrupt((err as Error).message);
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw errors.corrupt(describeIssue(result.error.issues[0], parsed));
  return result.data;
}

type Issue = z.core.$ZodIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  tuple: 'a list',
};

/** What the issue says the value should be, as a phrase ("a string", "one of l2, cosine"). */
function expectation(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return TYPE_NAMES[issue.expected] ?? issue.expected;
    case 'invalid_value':
      return issue.values.length === 1
        ? JSON.stringify(issue.values[0])
        : `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'array'
        ? `a list of at least ${issue.minimum} items`
        : `${issue.inclusive ? 'at least' : 'more than'} ${issue.minimum}`;
    case 'too_big':
      return issue.origin === 'array'
        ? `a list of at most ${issue.maximum} items`
        : `${issue.inclusive ? 'at most' : 'less than'} ${issue.maximum}`;
    default:
      // The schemas give their other checks an expectation as message ("a plain file name").
      return issue.message;
  }
}

/** A short rendering of a JSON value for a message. */
function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object' && value !== null) return 'an object';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** `a.b[2].c` for the path [a, b, 2, c]. */
function pathName(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`))
    .join('');
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>(
    (o, key) => (typeof o === 'object' && o !== null ? (o as Record<PropertyKey, unknown>)[key] : undefined),
    value,
  );
}

/** `its field "x.y" should be <expected> but is <received>` for a failed check of `input`. */
export function describeIssue(issue: Issue | undefined, input: unknown): string {
  if (!issue) return 'it does not match its schema';
  const received = describeValue(valueAt(input, issue.path));
  const subject = issue.path.length === 0 ? 'it' : `its field "${pathName(issue.path)}"`;
  return `${subject} should be ${expectation(issue)} but is ${received}`;
}
