/** Calls to the aesearch API. A failed call throws ApiError with the API's own code and message. */

/** An error answered by the API (or a network failure), with its code and message. */
export class ApiError extends Error {
  constructor(message, code, status) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

async function call(url, init) {
  let res;
  try {
    res = await fetch(url, init);
  } catch {
    throw new ApiError('The server did not answer; is aesearch still running?', 'NETWORK', 0);
  }
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const error = body?.error;
    throw new ApiError(
      error?.message ?? `The server answered ${res.status}`,
      error?.code ?? `HTTP_${res.status}`,
      res.status,
    );
  }
  return body;
}

/** Dataset, counts, code size, backend and index parameters. */
export function getStats() {
  return call('/api/stats');
}

/** Neighbours of an image file in both spaces. */
export function searchImage(file, k) {
  const form = new FormData();
  form.append('image', file, file.name || 'pasted-image');
  return call(`/api/search?k=${k}&space=both`, { method: 'POST', body: form });
}

/** Neighbours of indexed item `id` in both spaces, the item itself excluded. */
export function searchItem(id, k) {
  return call(`/api/items/${id}/similar?k=${k}&space=both`);
}

/** A random live item (ids have gaps once items are removed), or null for an empty collection. */
export async function randomItem(total) {
  if (total <= 0) return null;
  const page = await listItems({ offset: Math.floor(Math.random() * total), limit: 1, label: '' });
  return page.items[0] ?? null;
}

/** A page of the collection; `label` is a label number or '' for all. */
export function listItems({ offset, limit, label }) {
  const query = new URLSearchParams({ offset: String(offset), limit: String(limit) });
  if (label !== '') query.set('label', label);
  return call(`/api/items?${query}`);
}

function bearer(token) {
  return { Authorization: `Bearer ${token}` };
}

/** Adds `files` (at most 32) to the collection, all labelled `label` ('' for none): the 201 report. */
export function addItems(files, label, token) {
  const form = new FormData();
  for (const file of files) form.append('image', file, file.name || 'pasted-image');
  if (label !== '') form.append('label', label);
  return call('/api/items', { method: 'POST', body: form, headers: bearer(token) });
}

/** Removes item `id` from the collection (204, no body). */
export function removeItem(id, token) {
  return call(`/api/items/${id}`, { method: 'DELETE', headers: bearer(token) });
}

/** An item image URL at `size` px. */
export function sized(imageUrl, size) {
  return `${imageUrl}?size=${size}`;
}
