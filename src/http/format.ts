/** Small formatting helpers for messages and responses. */

/** A byte count for people: `512 bytes`, `4 KB`, `14.2 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const [value, unit] = bytes < 1024 * 1024 ? [bytes / 1024, 'KB'] : [bytes / (1024 * 1024), 'MB'];
  return `${Number(value.toFixed(1))} ${unit}`;
}

/** A received value for an error message: `"abc"`, `nothing`, or `3 values ("1", "2", "3")`. */
export function describeValue(raw: unknown): string {
  if (raw === undefined) return 'nothing';
  if (Array.isArray(raw)) return `${raw.length} values (${raw.map((v) => JSON.stringify(v)).join(', ')})`;
  if (typeof raw === 'string') return JSON.stringify(raw.length > 60 ? `${raw.slice(0, 60)}...` : raw);
  return JSON.stringify(raw) ?? String(raw);
}

/** Grayscale PNG bytes as a data URI. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}
