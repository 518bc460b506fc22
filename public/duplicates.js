/**
 * The near-duplicates view: groups of items within a distance D of each other in code space, closest
 * first, a page at a time, with thumbnails. Loaded on demand (the first answer builds a neighbour graph
 * of the whole collection). Self-contained: index.html loads it beside app.js.
 */
import { ApiError } from './api.js';

const PAGE = 20;
const THUMB_PX = 56;
const $ = (selector) => document.querySelector(selector);
const state = { offset: 0, maxDistance: '' };

async function fetchGroups() {
  const query = new URLSearchParams({ offset: String(state.offset), limit: String(PAGE) });
  if (state.maxDistance !== '') query.set('maxDistance', state.maxDistance);
  const res = await fetch(`/api/duplicates?${query}`);
  const body = await res.json().catch(() => null);
  if (!res.ok)
    throw new ApiError(
      body?.error?.message ?? `The server answered ${res.status}`,
      body?.error?.code,
      res.status,
    );
  return body;
}

function thumb(item) {
  const li = document.createElement('li');
  li.className = 'dup-item';
  li.dataset.id = String(item.id);
  const img = document.createElement('img');
  img.src = `${item.imageUrl}?size=${THUMB_PX}`;
  img.alt = `item ${item.id}${item.labelName ? `, ${item.labelName}` : ''}`;
  img.width = THUMB_PX;
  img.height = THUMB_PX;
  const caption = document.createElement('span');
  caption.textContent = `#${item.id}${item.labelName ? ` ${item.labelName}` : ''}`;
  li.append(img, caption);
  return li;
}

function groupRow(group) {
  const li = document.createElement('li');
  li.className = 'dup-group';
  li.dataset.ids = group.items.map((i) => i.id).join(',');
  const head = document.createElement('p');
  head.className = 'dup-distance';
  head.textContent = `${group.items.length} items · distance ${group.distance.toFixed(4)}${group.exact ? ' · identical pixels' : ''}`;
  const items = document.createElement('ul');
  items.className = 'dup-items';
  items.append(...group.items.map(thumb));
  li.append(head, items);
  return li;
}

function render(body) {
  const summary = $('#dup-summary');
  const last = Math.min(body.total, body.offset + body.groups.length);
  summary.textContent =
    body.total === 0
      ? `No groups within ${body.maxDistance.toFixed(4)} (default ${body.defaultMaxDistance.toFixed(4)}).`
      : `Groups ${body.offset + 1}-${last} of ${body.total} within ${body.maxDistance.toFixed(4)} (default ${body.defaultMaxDistance.toFixed(4)}).`;
  $('#dup-max').placeholder = body.defaultMaxDistance.toFixed(4);
  $('#dup-list').replaceChildren(...body.groups.map(groupRow));
  $('#dup-prev').disabled = body.offset === 0;
  $('#dup-next').disabled = last >= body.total;
}

async function load() {
  const section = $('#duplicates');
  section.setAttribute('aria-busy', 'true');
  $('#dup-message').textContent = '';
  try {
    render(await fetchGroups());
    section.dataset.loaded = 'true';
  } catch (error) {
    $('#dup-message').textContent = error.message;
  } finally {
    section.setAttribute('aria-busy', 'false');
  }
}

function wire() {
  if (!$('#duplicates')) return;
  $('#dup-form').addEventListener('submit', (event) => {
    event.preventDefault();
    state.maxDistance = $('#dup-max').value.trim();
    state.offset = 0;
    load();
  });
  $('#dup-prev').addEventListener('click', () => {
    state.offset = Math.max(0, state.offset - PAGE);
    load();
  });
  $('#dup-next').addEventListener('click', () => {
    state.offset += PAGE;
    load();
  });
}

wire();
