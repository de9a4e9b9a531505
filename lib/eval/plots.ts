/** Minimal SVG charts: line charts for PR and ROC curves (axes on [0, 1], ticks, grid, legend), grouped bar charts. */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { RocCurve } from './classification';
import { RECALL_POINTS } from './coco-map';

export interface Series {
  name: string;
  x: number[];
  y: number[];
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/** Text made safe to put into XML or HTML, in text or in a double-quoted attribute. */
export const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Renders a chart with both axes spanning [0, 1]. */
export function lineChartSvg(spec: ChartSpec, width = 640, height = 480): string {
  const m = { left: 60, right: 190, top: 40, bottom: 50 };
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const X = (v: number) => (m.left + Math.min(1, Math.max(0, v)) * pw).toFixed(2);
  const Y = (v: number) => (m.top + (1 - Math.min(1, Math.max(0, v))) * ph).toFixed(2);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" `
      + 'font-family="sans-serif" font-size="12">',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 10; i += 2) {
    const v = i / 10;
    out.push(`<line x1="${X(v)}" y1="${m.top}" x2="${X(v)}" y2="${m.top + ph}" stroke="#e5e5e5"/>`,
      `<line x1="${m.left}" y1="${Y(v)}" x2="${m.left + pw}" y2="${Y(v)}" stroke="#e5e5e5"/>`,
      `<line x1="${X(v)}" y1="${m.top + ph}" x2="${X(v)}" y2="${m.top + ph + 5}" stroke="black"/>`,
      `<text x="${X(v)}" y="${m.top + ph + 18}" text-anchor="middle">${v.toFixed(1)}</text>`,
      `<line x1="${m.left - 5}" y1="${Y(v)}" x2="${m.left}" y2="${Y(v)}" stroke="black"/>`,
      `<text x="${m.left - 8}" y="${Number(Y(v)) + 4}" text-anchor="end">${v.toFixed(1)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="black"/>`,
    `<text x="${m.left + pw / 2}" y="${height - 12}" text-anchor="middle">${esc(spec.xLabel)}</text>`,
    `<text transform="translate(16 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">${esc(spec.yLabel)}</text>`);
  spec.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = s.x.map((x, k) => `${X(x)},${Y(s.y[k])}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : '';
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="${s.dashed ? 1 : 2}"${dash} points="${pts}"/>`);
    const ly = m.top + 10 + i * 18;
    out.push(`<line x1="${m.left + pw + 12}" y1="${ly}" x2="${m.left + pw + 32}" y2="${ly}" stroke="${color}" stroke-width="2"${dash}/>`,
      `<text x="${m.left + pw + 38}" y="${ly + 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

export interface BarChartSpec {
  title: string;
  /** The groups along the x axis. */
  categories: string[];
  /** One bar in each group per series (values in category order), told apart by colour and legend. */
  series: Array<{ name: string; values: number[] }>;
  /** Values are shares (0-1), shown as percentages on an axis to 100%. */
  percent?: boolean;
}

/** A grouped bar chart, each bar's value written above it. */
export function barChartSvg(spec: BarChartSpec, width = 560, height = 300): string {
  const m = { left: 56, right: 150, top: 40, bottom: 48 };
  const pw = width - m.left - m.right, ph = height - m.top - m.bottom;
  const top = spec.percent ? 1 : Math.max(1, ...spec.series.flatMap((s) => s.values));
  // a round axis top: 1, 2 or 5 times a power of ten, four ticks
  const step = spec.percent ? 0.25 : Math.max(1, [1, 2, 5].map((f) => f * 10 ** Math.floor(Math.log10(top / 4)))
    .concat(10 ** Math.ceil(Math.log10(top / 4))).find((s) => s * 4 >= top)!);
  const max = step * 4;
  const Y = (v: number) => m.top + ph - (v / max) * ph;
  const label = (v: number) => (spec.percent ? `${Math.round(v * 100)}%` : String(Math.round(v * 100) / 100));
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" `
      + 'font-family="sans-serif" font-size="12">',
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${m.left + pw / 2}" y="22" text-anchor="middle" font-size="15">${esc(spec.title)}</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const y = Y(i * step).toFixed(1);
    out.push(`<line x1="${m.left}" y1="${y}" x2="${m.left + pw}" y2="${y}" stroke="#e5e5e5"/>`,
      `<text x="${m.left - 6}" y="${Number(y) + 4}" text-anchor="end">${label(i * step)}</text>`);
  }
  const group = pw / Math.max(1, spec.categories.length);
  const bar = (group * 0.8) / Math.max(1, spec.series.length);
  spec.categories.forEach((c, k) => {
    const x0 = m.left + k * group + group * 0.1;
    spec.series.forEach((s, j) => {
      const v = s.values[k] ?? 0;
      const x = x0 + j * bar;
      out.push(`<rect x="${x.toFixed(1)}" y="${Y(v).toFixed(1)}" width="${Math.max(1, bar - 2).toFixed(1)}" `
        + `height="${(m.top + ph - Y(v)).toFixed(1)}" fill="${COLORS[j % COLORS.length]}"/>`,
      `<text x="${(x + bar / 2 - 1).toFixed(1)}" y="${(Y(v) - 3).toFixed(1)}" text-anchor="middle" font-size="10">${label(v)}</text>`);
    });
    out.push(`<text x="${(m.left + (k + 0.5) * group).toFixed(1)}" y="${m.top + ph + 18}" text-anchor="middle">${esc(c)}</text>`);
  });
  out.push(`<line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}" stroke="black"/>`);
  spec.series.forEach((s, j) => {
    const ly = m.top + 10 + j * 18;
    out.push(`<rect x="${m.left + pw + 12}" y="${ly - 8}" width="14" height="10" fill="${COLORS[j % COLORS.length]}"/>`,
      `<text x="${m.left + pw + 32}" y="${ly + 1}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** PR curves at IoU 0.5, one per class with ground truth (precision sampled at recall 0..1), plus their mean. */
export function prChartSvg(classNames: string[], prCurves: number[][], ap50: number[]): string {
  const series: Series[] = [];
  classNames.forEach((name, c) => {
    if (prCurves[c]?.length) series.push({ name: `${name} ${ap50[c].toFixed(3)}`, x: RECALL_POINTS, y: prCurves[c] });
  });
  if (series.length > 1) {
    const mean = RECALL_POINTS.map((_, r) => series.reduce((a, s) => a + s.y[r], 0) / series.length);
    const map = ap50.filter((a) => a > -1);
    const mapMean = map.reduce((a, b) => a + b, 0) / map.length;
    series.push({ name: `all ${mapMean.toFixed(3)} mAP@0.5`, x: RECALL_POINTS, y: mean, dashed: true });
  }
  return lineChartSvg({ title: 'Precision-recall (IoU 0.5)', xLabel: 'recall', yLabel: 'precision', series });
}

export function rocChartSvg(curves: Array<{ name: string; roc: RocCurve; auc: number }>): string {
  const series: Series[] = curves.map((c) => ({ name: `${c.name} AUC ${c.auc.toFixed(3)}`, x: c.roc.fpr, y: c.roc.tpr }));
  series.push({ name: 'chance', x: [0, 1], y: [0, 1], dashed: true });
  return lineChartSvg({ title: 'ROC', xLabel: 'false positive rate', yLabel: 'true positive rate', series });
}

export async function writePlot(dir: string, name: string, svg: string): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, name);
  await fs.writeFile(file, svg);
  return file;
}
