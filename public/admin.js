/**
 * The admin token control and the changes it allows: add the query's images to the collection, remove
 * items. The token lives in sessionStorage, so it is kept for this tab only and never sent as a cookie.
 */
import { addItems, removeItem } from './api.js';
import { clearAddReport, renderAddReport, showMessage } from './render.js';

const $ = (selector) => document.querySelector(selector);
const TOKEN_KEY = 'aesearch.adminToken';

/** The files an add would send: the current upload query's, or none. */
let queryFiles = [];

function token() {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
  const on = value !== '';
  document.body.classList.toggle('admin-on', on);
  $('#admin-state').textContent = on ? 'Admin token set' : 'Admin token';
  $('#admin-forget').disabled = !on;
  $('#add-form').hidden = !on;
  if (!on) clearAddReport();
}

function openForm(open) {
  $('#admin-form').hidden = !open;
  $('#admin-toggle').setAttribute('aria-expanded', String(open));
  if (open) $('#admin-token').focus();
}

/** Runs `action(token)`; on an API error shows its message, and forgets a token the server refused (401). */
async function withToken(action) {
  try {
    await action(token());
    return true;
  } catch (error) {
    showMessage(error);
    if (error.status === 401) {
      setToken('');
      openForm(true);
    }
    return false;
  }
}

/** Remembers the images of the current query (an upload's files, or [] for an item) for "Add to collection". */
export function setQueryFiles(files) {
  queryFiles = files;
  $('#add').disabled = files.length === 0;
  const names = files.map((f) => f.name || 'pasted image');
  $('#add-note').textContent =
    files.length === 0
      ? 'Choose, drop or paste images first: the ones of your query are added.'
      : `Adds ${names.length === 1 ? names[0] : `${names.length} images: ${names.join(', ')}`}.`;
}

/**
 * Wires the token control, the add form and the remove buttons; `onPick(id)` searches by an item,
 * `onChanged('add' | 'remove')` refreshes what the change made stale (counts, browse page, results).
 */
export function wireAdmin({ onPick, onChanged }) {
  setToken(token());
  $('#admin-toggle').addEventListener('click', () => openForm($('#admin-form').hidden));
  $('#admin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    setToken($('#admin-token').value.trim());
    $('#admin-token').value = '';
    openForm(false);
    $('#admin-toggle').focus();
  });
  $('#admin-form').addEventListener('keydown', (event) => {
    if (event.key !== 'Escape') return;
    openForm(false);
    $('#admin-toggle').focus();
  });
  $('#admin-forget').addEventListener('click', () => {
    setToken('');
    openForm(false);
    $('#admin-toggle').focus();
  });
  $('#add-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    if (queryFiles.length === 0) return;
    const button = $('#add');
    button.disabled = true;
    showMessage(null);
    clearAddReport();
    const label = $('#add-label').value.trim();
    const ok = await withToken(async (t) => renderAddReport(await addItems(queryFiles, label, t), onPick));
    button.disabled = queryFiles.length === 0;
    if (ok) await onChanged('add');
  });
  document.addEventListener('click', async (event) => {
    const button = event.target.closest('button[data-remove]');
    if (!button) return;
    const id = Number(button.dataset.remove);
    button.disabled = true;
    showMessage(null);
    const ok = await withToken((t) => removeItem(id, t));
    button.disabled = false;
    if (!ok) return;
    for (const tile of document.querySelectorAll(`.tile[data-item="${id}"]`)) tile.remove();
    await onChanged('remove');
  });
}
