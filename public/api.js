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

/** A page of the collection; `label` is a label number or '' for all. */
export function listItems({ offset, limit, label }) {
  const query = new URLSearchParams({ offset: String(offset), limit: String(limit) });
  if (label !== '') query.set('label', label);
  return call(`/api/items?${query}`);
}

/** An item image URL at `size` px. */
export function sized(imageUrl, size) {
  return `${imageUrl}?size=${size}`;
}
