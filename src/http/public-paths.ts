/**
 * Public answers carry no absolute paths: they tell a caller where the server keeps its files, and
 * /api/stats is readable by anyone who can reach the server. Each absolute path inside a string becomes
 * relative to the working folder when it lies inside it, else `.../` and its last two components.
 */

// A POSIX path (a slash then a name character) or a Windows one (C:\ or C:/), at the start of a string
// or after a space, bracket, quote, `=` or `,`, up to the next space, bracket, quote, comma or semicolon.
const ABSOLUTE_PATH = /(^|[\s("'=,])((?:\/|[A-Za-z]:[\\/])[^\s"'(),;]+)/g;

/** `path` as it may be shown: relative to `cwd` when inside it, else `.../parent/name`. */
export function publicPath(path: string, cwd: string): string {
  const root = cwd.replace(/[\\/]+$/, '');
  if (path.startsWith(`${root}/`) || path.startsWith(`${root}\\`)) return path.slice(root.length + 1);
  const parts = path.split(/[\\/]/).filter((p) => p !== '' && !/^[A-Za-z]:$/.test(p));
  return parts.length <= 2 ? parts.join('/') : `.../${parts.slice(-2).join('/')}`;
}

/** Copies `value` (plain JSON data) with every absolute path in its strings made public (see publicPath). */
export function withoutAbsolutePaths<T>(value: T, cwd: string = process.cwd()): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string')
      return v.replace(ABSOLUTE_PATH, (_m, lead: string, path: string) => lead + publicPath(path, cwd));
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}
