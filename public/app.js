/**
 * The aesearch page: pick a query (file, drop, paste, random item, or any item while browsing), then show
 * its nearest neighbours by autoencoder code beside its nearest neighbours by pixels. No build step.
 */
import { getStats, listItems, searchImage, searchItem } from './api.js';
import { placeQuery, startMap } from './map.js';
import {
  renderBrowse,
  renderColumns,
  renderLabelFilter,
  renderQuery,
  renderStats,
  renderVerdict,
  showMessage,
} from './render.js';
import { renderUnusual } from './unusual.js';

const $ = (selector) => document.querySelector(selector);
// 60 fills whole rows of 20, 15, 10 or 6 columns (see style.css).
const BROWSE_LIMIT = 60;

const state = {
  k: 10,
  items: 0,
  /** The query shown: { kind: 'upload', file, name, objectUrl } or { kind: 'item', id }. */
  current: null,
  /** Bumped per search, so a slow answer never overwrites a newer one. */
  seq: 0,
  browse: { offset: 0, label: '' },
};

function setBusy(busy) {
  $('#results').setAttribute('aria-busy', String(busy));
  document.body.classList.toggle('busy', busy);
}

async function run(query) {
  const seq = ++state.seq;
  setBusy(true);
  showMessage(null);
  try {
    const response =
      query.kind === 'upload' ? await searchImage(query.file, state.k) : await searchItem(query.id, state.k);
    if (seq !== state.seq) return;
    if (state.current?.objectUrl && state.current.objectUrl !== query.objectUrl)
      URL.revokeObjectURL(state.current.objectUrl);
    state.current = query;
    renderQuery(response, query);
    renderColumns(response);
    renderVerdict(response);
    renderUnusual(response);
    placeQuery(response);
    history.replaceState(null, '', query.kind === 'item' ? `#item=${query.id}` : location.pathname);
  } catch (error) {
    if (seq !== state.seq) return;
    if (query.kind === 'upload' && query !== state.current) URL.revokeObjectURL(query.objectUrl);
    showMessage(error);
  } finally {
    if (seq === state.seq) setBusy(false);
  }
}

function searchFile(file) {
  if (!file) return;
  run({ kind: 'upload', file, name: file.name || 'pasted image', objectUrl: URL.createObjectURL(file) });
}

function searchId(id) {
  run({ kind: 'item', id });
}

async function browse() {
  try {
    const page = await listItems({
      offset: state.browse.offset,
      limit: BROWSE_LIMIT,
      label: state.browse.label,
    });
    renderBrowse(page, searchId);
  } catch (error) {
    showMessage(error);
  }
}

function wireQueryInputs() {
  const input = $('#file');
  input.addEventListener('change', () => {
    searchFile(input.files?.[0]);
    input.value = '';
  });
  const zone = $('#dropzone');
  document.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('dragging');
  });
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) zone.classList.remove('dragging');
  });
  document.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragging');
    searchFile(event.dataTransfer?.files?.[0]);
  });
  document.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    const file = files.find((f) => f.type.startsWith('image/')) ?? files[0];
    if (!file) return;
    event.preventDefault();
    searchFile(file);
  });
  $('#random').addEventListener('click', () => {
    if (state.items > 0) searchId(Math.floor(Math.random() * state.items));
  });
  $('#k').addEventListener('change', (event) => {
    state.k = Number(event.target.value);
    if (state.current) run(state.current);
  });
}

function wireResults() {
  for (const list of document.querySelectorAll('[data-role="hits"]')) {
    list.addEventListener('click', (event) => {
      const button = event.target.closest('button[data-id]');
      if (button) {
        searchId(Number(button.dataset.id));
        $('#query-heading').scrollIntoView({ behavior: 'smooth', block: 'nearest' });
      }
    });
  }
}

function wireBrowse() {
  $('#label-filter').addEventListener('change', (event) => {
    state.browse = { offset: 0, label: event.target.value };
    browse();
  });
  $('#prev').addEventListener('click', () => {
    state.browse.offset = Math.max(0, state.browse.offset - BROWSE_LIMIT);
    browse();
  });
  $('#next').addEventListener('click', () => {
    state.browse.offset += BROWSE_LIMIT;
    browse();
  });
}

async function start() {
  wireQueryInputs();
  wireResults();
  wireBrowse();
  state.k = Number($('#k').value);
  try {
    const stats = await getStats();
    state.items = stats.items;
    renderStats(stats);
    renderLabelFilter(stats);
  } catch (error) {
    showMessage(error);
  }
  await browse();
  await startMap(searchId);
  const fromHash = /^#item=(\d+)$/.exec(location.hash);
  if (fromHash) searchId(Number(fromHash[1]));
  document.body.dataset.ready = 'true';
}

start();
