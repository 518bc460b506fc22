/**
 * Grouped bar charts as SVG strings (pure; rasterised by src/image/svg.ts): a title, a y axis with
 * grid lines, one group of bars per category, one colour per series, the value above each bar and a
 * legend. No chart library: the two eval charts need only this.
 */

/** One series: a name for the legend and one value per group. */
export interface BarSeries {
  readonly name: string;
  readonly values: readonly number[];
}

/** What to draw. */
export interface BarChart {
  readonly title: string;
  /** Lines under the title. */
  readonly subtitle?: readonly string[];
  readonly yLabel: string;
  readonly groups: readonly string[];
  readonly series: readonly BarSeries[];
  /** Top of the y axis (default 1). */
  readonly yMax?: number;
  readonly width?: number;
  readonly height?: number;
}

/** Colour-blind-safe palette (Okabe-Ito), used in series order. */
export const SERIES_COLOURS = ['#999999', '#E69F00', '#0072B2', '#009E73', '#CC79A7', '#56B4E9'] as const;

const FONT = 'DejaVu Sans, Liberation Sans, Arial, sans-serif';
const MARGIN = { right: 24, bottom: 56, left: 64 } as const;

/** Plot area, below the title, subtitle lines and legend. */
interface Plot {
  readonly top: number;
  readonly width: number;
  readonly height: number;
  readonly yMax: number;
}

/** Escapes text for SVG content and attributes. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attrs}>${escapeXml(content)}</text>`;
}

function yAxis(plot: Plot, label: string): string[] {
  const out: string[] = [];
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const v = (plot.yMax * i) / ticks;
    const y = plot.top + plot.height - (plot.height * i) / ticks;
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plot.width}" y1="${y}" y2="${y}" stroke="#e3e3e3"/>`,
    );
    out.push(text(MARGIN.left - 8, y + 4, v.toFixed(2), 'text-anchor="end" font-size="12" fill="#555"'));
  }
  const cy = plot.top + plot.height / 2;
  out.push(text(18, cy, label, `transform="rotate(-90 18 ${cy})" text-anchor="middle" font-size="13"`));
  return out;
}

function legend(series: readonly BarSeries[], y: number): string[] {
  const out: string[] = [];
  let x = MARGIN.left;
  for (const [i, s] of series.entries()) {
    const colour = SERIES_COLOURS[i % SERIES_COLOURS.length];
    out.push(`<rect x="${x}" y="${y - 11}" width="14" height="14" fill="${colour}"/>`);
    out.push(text(x + 20, y, s.name, 'font-size="13"'));
    x += 40 + 7.5 * s.name.length;
  }
  return out;
}

function bars(chart: BarChart, plot: Plot): string[] {
  const out: string[] = [];
  const { top, height: plotH, yMax } = plot;
  const groupW = plot.width / Math.max(1, chart.groups.length);
  const barW = Math.min(56, (groupW * 0.8) / Math.max(1, chart.series.length));
  for (const [g, group] of chart.groups.entries()) {
    const start = MARGIN.left + g * groupW + (groupW - barW * chart.series.length) / 2;
    for (const [s, series] of chart.series.entries()) {
      const v = series.values[g] ?? 0;
      const h = (plotH * Math.max(0, Math.min(v, yMax))) / yMax;
      const x = start + s * barW;
      const y = top + plotH - h;
      const colour = SERIES_COLOURS[s % SERIES_COLOURS.length];
      out.push(
        `<rect x="${(x + 2).toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 4).toFixed(1)}" height="${h.toFixed(1)}" fill="${colour}"/>`,
      );
      out.push(text(x + barW / 2, y - 5, v.toFixed(3), 'text-anchor="middle" font-size="11" fill="#222"'));
    }
    const labelY = top + plotH + 22;
    out.push(text(MARGIN.left + (g + 0.5) * groupW, labelY, group, 'text-anchor="middle" font-size="13"'));
  }
  return out;
}

/** Renders `chart` as a standalone SVG document. */
export function renderBarChart(chart: BarChart): string {
  const width = chart.width ?? 860;
  const height = chart.height ?? 480;
  const subtitle = chart.subtitle ?? [];
  const legendY = 54 + 16 * subtitle.length;
  const top = legendY + 34;
  const plot: Plot = {
    top,
    width: width - MARGIN.left - MARGIN.right,
    height: height - top - MARGIN.bottom,
    yMax: chart.yMax ?? 1,
  };
  const axisY = top + plot.height;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(MARGIN.left, 28, chart.title, 'font-size="18" font-weight="bold"'),
    ...subtitle.map((line, i) => text(MARGIN.left, 48 + 16 * i, line, 'font-size="12" fill="#555"')),
    ...legend(chart.series, legendY),
    ...yAxis(plot, chart.yLabel),
    ...bars(chart, plot),
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plot.width}" y1="${axisY}" y2="${axisY}" stroke="#333"/>`,
    '</svg>',
  ];
  return parts.join('\n');
}
