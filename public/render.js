/** Rendering API responses into the page. Pure DOM code; app.js owns the state and the events. */
import { sized } from './api.js';

const $ = (selector) => document.querySelector(selector);

/** Creates an element with attributes (and `dataset`/`className`) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key === 'className') node.className = value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const percent = (share) => `${Math.round(share * 100)}%`;
// Image sizes asked of the server: twice the tiles' CSS size, so originals stay sharp on dense screens.
const HIT_IMAGE_PX = 224;
const THUMB_IMAGE_PX = 112;
const SPACE_NAMES = { code: 'code', pixel: 'pixels' };

/** Fills the header from /api/stats. */
export function renderStats(stats) {
  const set = (name, text) => {
    $(`[data-stat="${name}"]`).textContent = text;
  };
  set('dataset', stats.dataset.name);
  set('items', stats.items.toLocaleString('en'));
  set('code', `${stats.codeSize}-d ${stats.arch.arch}`);
  set('backend', stats.backend.name);
  $('[data-stat="backend"]').title = stats.backend.description;
}

/** Shows the query: the original, the model's grayscale input and the decoder's reconstruction. */
export function renderQuery(response, query) {
  const { query: q } = response;
  $('#query').hidden = false;
  $('#hint').hidden = true;
  const image = $('#query-image');
  // Blocky pixels only when enlarging (a 28 px upload); a photo shrunk that way would alias.
  image.onload = () => image.classList.toggle('model-view', image.naturalWidth < image.clientWidth);
  image.src = query.kind === 'upload' ? query.objectUrl : sized(q.imageUrl, 224);
  image.alt =
    query.kind === 'upload' ? `Uploaded image ${query.name}` : `Item ${q.id}: ${q.labelName ?? 'unlabelled'}`;
  $('#query-image-caption').textContent = query.kind === 'upload' ? 'Your image' : `Item ${q.id}`;
  $('#query-input').src = q.image;
  $('#query-recon').src = q.reconstruction;
  const title = $('#query-title');
  title.replaceChildren(
    query.kind === 'upload'
      ? el('span', {}, `Upload: ${query.name}`)
      : el('span', {}, `Item ${q.id}`, q.labelName ? el('strong', { className: 'tag' }, q.labelName) : null),
  );
}

function metricFor(result, response) {
  const labelled = response.query.label !== null && result.precision !== null;
  if (labelled) return { name: `precision@${response.k}`, value: result.precision, kind: 'precision' };
  if (result.agreement !== null) return { name: 'agreement', value: result.agreement, kind: 'agreement' };
  return null;
}

/** The admin-only button that removes item `id` (style.css shows it only while a token is set). */
function removeButton(id) {
  return el(
    'button',
    {
      type: 'button',
      className: 'remove',
      dataset: { remove: String(id) },
      'aria-label': `Remove item ${id} from the collection`,
      title: `Remove item ${id}`,
    },
    '×',
  );
}

function hitItem(hit, rank, queryLabel) {
  const match = queryLabel !== null && hit.label === queryLabel;
  const name = hit.labelName ?? 'unlabelled';
  return el(
    'li',
    { className: 'tile', dataset: { item: String(hit.id) } },
    el(
      'button',
      {
        type: 'button',
        className: match ? 'hit match' : 'hit',
        dataset: { id: String(hit.id), label: String(hit.label) },
        title: `Item ${hit.id}: ${name}\n${hit.source}`,
        'aria-label': `Rank ${rank}: item ${hit.id}, ${name}, ${hit.source}, distance ${hit.distance.toFixed(3)}${match ? ', same label as the query' : ''}. Search by it.`,
      },
      el('img', {
        src: sized(hit.imageUrl, HIT_IMAGE_PX),
        alt: `Item ${hit.id}: ${name}`,
        width: 112,
        height: 112,
        loading: 'lazy',
      }),
      el('span', { className: 'rank', 'aria-hidden': 'true' }, String(rank)),
      el('span', { className: 'hit-label', 'aria-hidden': 'true' }, name),
      el('span', { className: 'hit-distance', 'aria-hidden': 'true' }, hit.distance.toFixed(3)),
    ),
    removeButton(hit.id),
  );
}

/** Fills one result column (or shows that the index has no such space). */
function renderColumn(space, response) {
  const column = $(`.column[data-space="${space}"]`);
  const result = response.spaces[space];
  const hits = column.querySelector('[data-role="hits"]');
  const metric = column.querySelector('[data-role="metric"]');
  const ms = column.querySelector('[data-role="ms"]');
  if (!result) {
    hits.replaceChildren(el('li', { className: 'empty' }, `The index has no ${SPACE_NAMES[space]} space.`));
    metric.hidden = true;
    ms.textContent = '';
    return;
  }
  hits.replaceChildren(...result.results.map((hit, i) => hitItem(hit, i + 1, response.query.label)));
  if (result.results.length === 0)
    hits.append(el('li', { className: 'empty' }, 'No neighbours within the distance.'));
  ms.textContent = `${result.ms.toFixed(1)} ms`;
  const m = metricFor(result, response);
  metric.hidden = m === null;
  if (m) {
    metric.className = `metric ${m.kind}`;
    metric.replaceChildren(
      el('span', { className: 'metric-value' }, percent(m.value)),
      el('span', { className: 'metric-name' }, m.name),
    );
  }
}

/** Fills both result columns. */
export function renderColumns(response) {
  renderColumn('code', response);
  renderColumn('pixel', response);
}

function labelVerdict(response) {
  const { code, pixel } = response.spaces;
  const label = response.query.labelName;
  const count = (r) => Math.round(r.precision * r.results.length);
  const parts = [`Item ${response.query.id} is labelled ${label}. Of its ${response.k} nearest neighbours,`];
  parts.push(`${count(code)} share that label by code and ${count(pixel)} by pixels.`);
  const diff = code.precision - pixel.precision;
  const verdict = diff > 0 ? 'Code search did better.' : diff < 0 ? 'Pixel search did better.' : 'A tie.';
  return { text: parts.join(' '), verdict, winner: diff > 0 ? 'code' : diff < 0 ? 'pixel' : 'tie' };
}

/** The sentence above the columns: which space did better (labelled items), or what agreement means. */
export function renderVerdict(response) {
  const node = $('#verdict');
  const { code, pixel } = response.spaces;
  if (!code || !pixel) {
    node.hidden = true;
    return;
  }
  node.hidden = false;
  if (response.query.label !== null && code.precision !== null && pixel.precision !== null) {
    const v = labelVerdict(response);
    node.dataset.winner = v.winner;
    node.replaceChildren(el('span', {}, v.text, ' '), el('strong', {}, v.verdict));
    return;
  }
  node.dataset.winner = 'none';
  node.replaceChildren(
    el(
      'span',
      {},
      'An upload has no label of its own, so each column shows agreement: the share of its hits whose label is the top hit label of the other column.',
    ),
  );
}

/** Shows the browse page and its pager. */
export function renderBrowse(page, onPick) {
  const grid = $('#browse-grid');
  grid.replaceChildren(
    ...page.items.map((item) =>
      el(
        'li',
        { className: 'tile', dataset: { item: String(item.id) } },
        el(
          'button',
          {
            type: 'button',
            className: 'thumb',
            dataset: { id: String(item.id), label: String(item.label) },
            title: `Item ${item.id}: ${item.labelName ?? 'unlabelled'}\n${item.source}`,
          },
          el('img', {
            src: sized(item.imageUrl, THUMB_IMAGE_PX),
            alt: `Item ${item.id}: ${item.labelName ?? 'unlabelled'}`,
            width: 56,
            height: 56,
            loading: 'lazy',
          }),
        ),
        removeButton(item.id),
      ),
    ),
  );
  for (const button of grid.querySelectorAll('.thumb'))
    button.addEventListener('click', () => onPick(Number(button.dataset.id)));
  const first = page.total === 0 ? 0 : page.offset + 1;
  const last = page.offset + page.items.length;
  $('#page-info').textContent =
    `${first.toLocaleString('en')}–${last.toLocaleString('en')} of ${page.total.toLocaleString('en')}`;
  $('#prev').disabled = page.offset === 0;
  $('#next').disabled = last >= page.total;
}

/** Fills the label filter from the collection's label names and counts, keeping the choice made. */
export function renderLabelFilter(stats) {
  const select = $('#label-filter');
  const chosen = select.value;
  const names = stats.dataset.classNames ?? [];
  const counts = stats.dataset.labelCounts ?? [];
  select.replaceChildren(
    el('option', { value: '' }, 'All labels'),
    ...names.map((name, label) => el('option', { value: String(label) }, `${name} (${counts[label] ?? 0})`)),
  );
  select.value = chosen;
  select.disabled = names.length === 0;
}

/** Shows an error message (the API's own words) or clears it. */
export function showMessage(error) {
  const node = $('#message');
  if (!error) {
    node.hidden = true;
    node.replaceChildren();
    return;
  }
  node.hidden = false;
  node.replaceChildren(
    el('strong', {}, error.code ? `${error.code}: ` : 'Error: '),
    el('span', {}, error.message),
  );
}

function reportLine(kind, ...children) {
  return el(
    'li',
    { className: `report-${kind}` },
    el('strong', {}, `${kind[0].toUpperCase()}${kind.slice(1)}: `),
    ...children,
  );
}

/** Shows what POST /api/items did with each file: added (with a button to search the new item), duplicate or rejected. */
export function renderAddReport(report, onPick) {
  const node = $('#add-report');
  const pick = (id, text) => {
    const button = el('button', { type: 'button', className: 'link', dataset: { id: String(id) } }, text);
    button.addEventListener('click', () => onPick(id));
    return button;
  };
  node.hidden = false;
  node.replaceChildren(
    el(
      'ul',
      {},
      ...report.added.map((a) =>
        reportLine('added', `${a.source} as `, pick(a.id, `item ${a.id}`), a.label ? ` (${a.label})` : null),
      ),
      ...report.duplicates.map((d) =>
        reportLine('duplicate', `${d.source} is already `, pick(d.id, `item ${d.id}`)),
      ),
      ...report.rejected.map((r) =>
        reportLine('rejected', `${r.source}: ${r.error.code}: ${r.error.message}`),
      ),
    ),
  );
}

/** Hides the last add report. */
export function clearAddReport() {
  const node = $('#add-report');
  node.hidden = true;
  node.replaceChildren();
}
