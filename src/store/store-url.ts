/** Telling the two stores apart by the `--store` value: a `postgres://` URL, or an index folder's path. */

/** True when `value` names a PostgreSQL store rather than a folder. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}
