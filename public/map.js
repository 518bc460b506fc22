/**
 * The map of the collection: GET /api/map's points drawn on a canvas, coloured by label with a legend;
 * hovering a point shows its thumbnail, clicking it searches by that item, and the current query is
 * marked where the server placed it (from its neighbours on the map).
 */
import { sized } from './api.js';
import { el } from './render.js';

const $ = (selector) => document.querySelector(selector);

/** Margin inside the canvas, in CSS px, so edge points are drawn whole. */
const PAD_PX = 10;
/** How near the pointer must be to a point to pick it, in CSS px. */
const PICK_PX = 8;
const POINT_PX = 2.5;
/** Tableau 10: told apart by most readers, colour-blind ones included. */
const PALETTE = [
  '#4e79a7',
  '#f28e2b',
  '#e15759',
  '#76b7b2',
  '#59a14f',
  '#edc948',
  '#b07aa1',
  '#ff9da7',
  '#9c755f',
  '#bab0ac',
];
const UNLABELLED = '#8a8f98';

const view = { points: [], labels: [], query: null, hover: null, onPick: () => {} };

/** A label's colour: the palette, then hues spaced by the golden angle. */
function colourOf(label) {
  if (label === null) return UNLABELLED;
  return PALETTE[label] ?? `hsl(${(label * 137.5) % 360} 55% 50%)`;
}

/** A point's place on the canvas, in CSS px. */
function toPx(canvas, p) {
  const w = canvas.clientWidth - 2 * PAD_PX;
  const h = canvas.clientHeight - 2 * PAD_PX;
  return { x: PAD_PX + p.x * w, y: PAD_PX + p.y * h };
}

function draw() {
  const canvas = $('#map-canvas');
  const ratio = window.devicePixelRatio || 1;
  canvas.width = Math.round(canvas.clientWidth * ratio);
  canvas.height = Math.round(canvas.clientHeight * ratio);
  const ctx = canvas.getContext('2d');
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  ctx.clearRect(0, 0, canvas.clientWidth, canvas.clientHeight);
  ctx.globalAlpha = 0.75;
  for (const p of view.points) {
    const { x, y } = toPx(canvas, p);
    ctx.fillStyle = colourOf(p.label);
    ctx.fillRect(x - POINT_PX / 2, y - POINT_PX / 2, POINT_PX, POINT_PX);
  }
  ctx.globalAlpha = 1;
  if (view.hover) ring(ctx, toPx(canvas, view.hover), 5, '#151a26', 1.5);
  if (view.query) {
    const at = toPx(canvas, view.query);
    ring(ctx, at, 9, '#ffffff', 4);
    ring(ctx, at, 9, '#b42318', 2);
  }
  canvas.dataset.drawn = String(view.points.length);
}

function ring(ctx, at, radius, colour, width) {
  ctx.beginPath();
  ctx.arc(at.x, at.y, radius, 0, 2 * Math.PI);
  ctx.strokeStyle = colour;
  ctx.lineWidth = width;
  ctx.stroke();
}

/** The point nearest the pointer within PICK_PX, or null. */
function pointAt(canvas, event) {
  const box = canvas.getBoundingClientRect();
  const mx = event.clientX - box.left;
  const my = event.clientY - box.top;
  let best = null;
  let bestD = PICK_PX * PICK_PX;
  for (const p of view.points) {
    const { x, y } = toPx(canvas, p);
    const d = (x - mx) ** 2 + (y - my) ** 2;
    if (d <= bestD) {
      best = p;
      bestD = d;
    }
  }
  return best;
}

function showTip(canvas, point) {
  const tip = $('#map-tip');
  if (!point) {
    tip.hidden = true;
    return;
  }
  const name = view.labels.find((l) => l.label === point.label)?.name ?? 'unlabelled';
  tip.replaceChildren(
    el('img', {
      src: sized(`/api/items/${point.id}/image`, 112),
      alt: `Item ${point.id}: ${name}`,
      width: 112,
      height: 112,
    }),
    el('span', {}, `Item ${point.id} · ${name}`),
  );
  const { x, y } = toPx(canvas, point);
  // Keep the tip inside the plot: flip to the left or above near the far edges.
  tip.style.left = `${x + 140 > canvas.clientWidth ? x - 136 : x + 12}px`;
  tip.style.top = `${y + 150 > canvas.clientHeight ? y - 146 : y + 12}px`;
  tip.dataset.id = String(point.id);
  tip.hidden = false;
}

function renderLegend() {
  const counts = new Map();
  for (const p of view.points) counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
  const entries = [
    ...view.labels.map((l) => [l.label, l.name]),
    ...(counts.has(null) ? [[null, 'unlabelled']] : []),
  ];
  $('#map-legend').replaceChildren(
    ...entries.map(([label, name]) => {
      const swatch = el('span', { className: 'map-swatch', 'aria-hidden': 'true' });
      swatch.style.background = colourOf(label);
      return el('li', {}, swatch, `${name} (${counts.get(label) ?? 0})`);
    }),
  );
}

function wire(canvas) {
  canvas.addEventListener('mousemove', (event) => {
    const point = pointAt(canvas, event);
    if (point === view.hover) return;
    view.hover = point;
    canvas.style.cursor = point ? 'pointer' : 'default';
    showTip(canvas, point);
    draw();
  });
  canvas.addEventListener('mouseleave', () => {
    view.hover = null;
    showTip(canvas, null);
    draw();
  });
  canvas.addEventListener('click', (event) => {
    const point = pointAt(canvas, event);
    if (point) view.onPick(point.id);
  });
  new ResizeObserver(() => draw()).observe(canvas);
}

/**
 * Loads the map and draws it; `onPick(id)` searches by a clicked item. An index without a map hides the
 * section (its message says to rebuild).
 */
export async function startMap(onPick) {
  view.onPick = onPick;
  const section = $('#map-section');
  const res = await fetch('/api/map').catch(() => null);
  const body = await res?.json().catch(() => null);
  if (!res?.ok || !body?.points) {
    $('#map-note').textContent = body?.error?.message ?? 'The map could not be loaded.';
    section.dataset.state = 'unavailable';
    return;
  }
  view.points = body.points;
  view.labels = body.labels ?? [];
  const method = body.method === 'umap' ? 'UMAP' : 'PCA';
  $('#map-note').textContent =
    `${body.points.length.toLocaleString('en')} items laid out by ${method} from their codes when the index was built. ` +
    'Hover for a thumbnail, click to search by an item; the red ring is the current query.';
  renderLegend();
  const canvas = $('#map-canvas');
  wire(canvas);
  draw();
  section.dataset.state = 'ready';
}

/** Marks the query of `response` on the map (nothing when the server could not place it). */
export function placeQuery(response) {
  view.query = response.query.map ?? null;
  if (view.points.length > 0) draw();
}
