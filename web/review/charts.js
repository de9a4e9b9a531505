// The line view's charts as inline SVG: a few small functions over /api/stats, no chart library.
import { html } from './preact-htm.js';

const W = 400;
const PASS = '#1b7f3b';
const FAIL = '#b3261e';
const BAR = '#5b7fbf';

const empty = (title) => html`<div class="chart"><h3>${title}</h3><div class="empty">no parts yet</div></div>`;

/** Parts per time bucket (bars) and yield (line, right axis 0-100 %). */
export function overTime(stats) {
  const b = stats.overTime;
  if (!b.length) return empty('Throughput and yield over time');
  const h = 110, top = 8, bottom = 16, plot = h - top - bottom;
  const max = Math.max(1, ...b.map((x) => x.parts));
  const bw = (W - 40) / b.length;
  const points = b.map((x, i) => (x.yield === null ? null : `${30 + i * bw + bw / 2},${top + plot * (1 - x.yield)}`)).filter(Boolean);
  const t = (s) => new Date(s).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
  return html`<div class="chart"><h3>Throughput (bars, parts per ${bucketLabel(b)}) and yield (line)</h3>
    <svg width=${W} height=${h} role="img" aria-label="throughput and yield over time">
      ${b.map((x, i) => html`<rect x=${30 + i * bw + 1} width=${Math.max(1, bw - 2)} y=${top + plot * (1 - x.parts / max)}
        height=${(plot * x.parts) / max} fill=${BAR} opacity="0.55"><title>${t(x.start)}: ${x.parts} parts</title></rect>`)}
      <polyline points=${points.join(' ')} fill="none" stroke=${PASS} stroke-width="2" />
      <text x="0" y=${top + 8}>${max}</text><text x="0" y=${top + plot}>0</text>
      <text x=${W - 8} y=${top + 8} text-anchor="end">100%</text>
      <text x="30" y=${h - 3}>${t(b[0].start)}</text>
      <text x=${W - 8} y=${h - 3} text-anchor="end">${t(b[b.length - 1].start)}</text>
    </svg></div>`;
}

function bucketLabel(b) {
  if (b.length < 2) return 'bucket';
  const s = (Date.parse(b[1].start) - Date.parse(b[0].start)) / 1000;
  if (s < 1) return `${(s * 1000).toFixed(0)} ms`;
  return s < 90 ? `${s.toFixed(s < 10 ? 1 : 0)} s` : `${(s / 60).toFixed(1)} min`;
}

/** Counts as horizontal bars, most first; `cumulative` adds the Pareto line. */
function hbars(title, rows, colour, cumulative) {
  if (!rows.length) return empty(title);
  const shown = rows.slice(0, 8), rowH = 16, h = shown.length * rowH + 6;
  const max = Math.max(...shown.map((r) => r.value)), total = rows.reduce((s, r) => s + r.value, 0);
  let run = 0;
  return html`<div class="chart"><h3>${title}</h3><svg width=${W} height=${h} role="img" aria-label=${title}>
    ${shown.map((r, i) => {
      run += r.value;
      const w = ((W - 200) * r.value) / max;
      return html`<g transform=${`translate(0 ${i * rowH})`}>
        <text x="128" y="11" text-anchor="end">${r.label.length > 22 ? `${r.label.slice(0, 21)}...` : r.label}</text>
        <rect x="134" y="2" width=${Math.max(1, w)} height="11" fill=${colour} />
        <text x=${138 + w} y="11">${r.value}${cumulative ? ` (${Math.round((100 * run) / total)}%)` : ''}</text></g>`;
    })}</svg></div>`;
}

export const pareto = (stats) => hbars('Defect Pareto (failed parts per class, cumulative %)',
  stats.pareto.map((p) => ({ label: p.label, value: p.parts })), FAIL, true);

export const reasons = (stats) => hbars('Fail reasons', stats.reasons.map((r) => ({ label: r.reason, value: r.parts })), '#8a5a00', false);

/** The die-angle histogram, with the zero line. */
export function angles(stats) {
  const { from, bin, counts } = stats.angles;
  if (!counts.some((c) => c)) return empty('Die angle (degrees)');
  const h = 90, top = 6, plot = h - top - 16, bw = (W - 20) / counts.length, max = Math.max(...counts);
  const x0 = 10 + ((0 - from) / bin) * bw;
  return html`<div class="chart"><h3>Die angle (degrees)</h3><svg width=${W} height=${h} role="img" aria-label="die angle histogram">
    ${counts.map((c, i) => html`<rect x=${10 + i * bw + 1} width=${bw - 2} y=${top + plot * (1 - c / max)} height=${(plot * c) / max}
      fill=${BAR}><title>${(from + i * bin).toFixed(2)} to ${(from + (i + 1) * bin).toFixed(2)}: ${c}</title></rect>`)}
    <line x1=${x0} x2=${x0} y1=${top} y2=${top + plot} stroke="#999" stroke-dasharray="2 2" />
    <text x="10" y=${h - 3}>${from.toFixed(1)}</text><text x=${x0} y=${h - 3} text-anchor="middle">0</text>
    <text x=${W - 10} y=${h - 3} text-anchor="end">${(-from).toFixed(1)}</text></svg></div>`;
}
