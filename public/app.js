/**
 * The aesearch page: pick a query (file, drop, paste, random item, or any item while browsing), then show
 * its nearest neighbours by autoencoder code beside its nearest neighbours by pixels. No build step.
 */
import { setQueryFiles, wireAdmin } from './admin.js';
import { getStats, listItems, randomItem, searchImage, searchItem } from './api.js';
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
  /** The query shown: { kind: 'upload', file, files, name, objectUrl } or { kind: 'item', id }. */
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
    setQueryFiles(query.kind === 'upload' ? query.files : []);
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

/** Searches by the first of `files`; all of them are what "Add to collection" would add. */
function searchFiles(files) {
  const [file] = files;
  if (!file) return;
  const name = file.name || 'pasted image';
  run({ kind: 'upload', file, files, name, objectUrl: URL.createObjectURL(file) });
}

function searchId(id) {
  run({ kind: 'item', id });
}

async function refreshStats() {
  try {
    const stats = await getStats();
    state.items = stats.items;
    renderStats(stats);
    renderLabelFilter(stats);
    return stats;
  } catch (error) {
    showMessage(error);
    return null;
  }
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
    searchFiles([...(input.files ?? [])]);
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
    searchFiles([...(event.dataTransfer?.files ?? [])]);
  });
  document.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files ?? [])];
    if (files.length === 0) return;
    event.preventDefault();
    const images = files.filter((f) => f.type.startsWith('image/'));
    searchFiles(images.length > 0 ? images : files);
  });
  $('#random').addEventListener('click', async () => {
    try {
      const item = await randomItem(state.items);
      if (item) searchId(item.id);
    } catch (error) {
      showMessage(error);
    }
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

/** After an add or a remove: new counts and browse page; after an add, the current search again (it may find the new items). */
async function collectionChanged(kind) {
  await refreshStats();
  await browse();
  if (kind === 'add' && state.current) await run(state.current);
}

async function start() {
  wireQueryInputs();
  wireResults();
  wireBrowse();
  wireAdmin({ onPick: searchId, onChanged: collectionChanged });
  state.k = Number($('#k').value);
  await refreshStats();
  await browse();
  await startMap(searchId);
  const fromHash = /^#item=(\d+)$/.exec(location.hash);
  if (fromHash) searchId(Number(fromHash[1]));
  document.body.dataset.ready = 'true';
}

start();
