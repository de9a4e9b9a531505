/**
 * datasetReportHtml(): a checkDataset() result as one self-contained HTML page (nothing
 * fetched: inline CSS, inline SVG charts, thumbnails as data: URIs): each split's balance
 * as a table and bar charts (boxes or images per class, box sizes, defect-free share), the
 * count of each finding kind, and every finding with its detail, the first ones with a
 * thumbnail of their image (and of the image a duplicate repeats), downscaled and encoded
 * natively (preprocess, encodeImage), the box a disagreement is about drawn on it.
 */
import { encodeImage, preprocess } from '../runtime/ops';
import { DatasetCheck, Finding, FINDING_KINDS } from './dataset-types';
import { barChartSvg, esc } from './plots';
import type { Box } from './types';

export interface DatasetReportOptions {
  /** Page title. Default 'Dataset check'. */
  title?: string;
  /** How many findings (the first ones) get thumbnails. Default 200. */
  thumbnails?: number;
  /** A thumbnail's longer side in pixels. Default 160. */
  thumbnailSize?: number;
}

const STYLE = 'body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;margin:8px 0 18px}'
  + 'td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}td.n{text-align:right}'
  + '.charts svg{margin:0 12px 12px 0;border:1px solid #eee}td img{display:block;margin:2px 0;border:1px solid #999}'
  + 'code{font-size:90%}.note{color:#555}';

/** The image a finding shows: none for what cannot be decoded or is not on disk, or is not an image. */
function shownImage(f: Finding): string | undefined {
  if (f.kind === 'corrupt-image' || f.kind === 'missing-image' || f.kind === 'orphan-label') return undefined;
  return f.image ?? f.path;
}

/** Downscaled JPEG data: URIs of `files` (undefined where one does not decode), `box` drawn in red. */
async function thumbnails(items: Array<{ file: string; box?: Box }>, size: number): Promise<Array<string | undefined>> {
  const out: Array<string | undefined> = [];
  for (let i = 0; i < items.length; i += 16) {
    const chunk = items.slice(i, i + 16);
    const r = await preprocess(chunk.map((c) => c.file), { width: size, height: size, resize: 'letterbox', scale: 1,
      mean: [0, 0, 0], std: [1, 1, 1], swapRB: false });
    const plane = size * size;
    for (const [j, info] of r.images.entries()) {
      if (info.error) {
        out.push(undefined);
        continue;
      }
      const w = Math.max(1, Math.round(info.width * info.scaleX)), h = Math.max(1, Math.round(info.height * info.scaleY));
      const data = new Uint8Array(w * h * 3);
      const base = j * 3 * plane;
      for (let y = 0; y < h; y++) {
        for (let x = 0; x < w; x++) {
          const src = (y + info.padY) * size + x + info.padX;
          for (let c = 0; c < 3; c++) data[3 * (y * w + x) + c] = Math.round(r.tensor[base + c * plane + src]);
        }
      }
      const box = chunk[j].box;
      if (box) drawBox(data, w, h, box.map((v, k) => v * (k % 2 ? info.scaleY : info.scaleX)) as Box);
      const jpeg = await encodeImage({ data, width: w, height: h, channels: 3 }, { format: 'jpeg', quality: 80 });
      out.push(`data:image/jpeg;base64,${jpeg.toString('base64')}`);
    }
  }
  return out;
}

/** A red rectangle two pixels wide, clipped to the image. */
function drawBox(data: Uint8Array, w: number, h: number, box: Box): void {
  const [x1, y1, x2, y2] = [box[0], box[1], box[2], box[3]].map((v, k) => Math.min(k % 2 ? h - 1 : w - 1, Math.max(0, Math.round(v))));
  const put = (x: number, y: number) => data.set([0, 0, 255], 3 * (y * w + x));
  for (let t = 0; t < 2; t++) {
    for (let x = x1; x <= x2; x++) {
      put(x, Math.min(h - 1, y1 + t));
      put(x, Math.max(0, y2 - t));
    }
    for (let y = y1; y <= y2; y++) {
      put(Math.min(w - 1, x1 + t), y);
      put(Math.max(0, x2 - t), y);
    }
  }
}

/** The classes the splits have images of (class labels) and boxes of (box labels), sorted. */
function namesOf(check: DatasetCheck): { classes: string[]; boxNames: string[] } {
  const all = (key: (x: DatasetCheck['splits'][number]) => Record<string, number>) =>
    [...new Set(check.splits.flatMap((x) => Object.keys(key(x))))].sort();
  return { classes: all((x) => x.classes ?? {}), boxNames: all((x) => x.boxes) };
}

/** Where a finding is: the file, its line or annotation. */
export const findingPlace = (f: Finding): string => `${f.path}${f.line ? `:${f.line}` : ''}`
  + `${f.annotation !== undefined ? ` (annotation ${f.annotation})` : ''}`;

/**
 * The balance of each split as table columns and rows: images, defect-free ones, images per
 * class (class labels), boxes per class and in each size bin (box labels).
 */
export function balanceTable(check: DatasetCheck): { header: string[]; rows: Array<Array<string | number>> } {
  const s = check.splits;
  const { classes, boxNames } = namesOf(check);
  const boxes = s.some((x) => x.format === 'yolo' || x.format === 'coco');
  return {
    header: ['split', 'images', 'defect-free', ...classes.map((n) => `${n} images`), ...boxNames.map((n) => `${n} boxes`),
      ...(boxes ? ['small', 'medium', 'large'] : [])],
    rows: s.map((x) => [x.split, x.images, x.defectFree, ...classes.map((n) => x.classes?.[n] ?? 0),
      ...boxNames.map((n) => x.boxes[n] ?? 0), ...(boxes ? [x.sizes.small, x.sizes.medium, x.sizes.large] : [])]),
  };
}

const cell = (v: string | number) => (typeof v === 'number' ? `<td class="n">${v}</td>` : `<td>${esc(v)}</td>`);
const tableOf = (header: string[], rows: string[]) => `<table><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`
  + `${rows.join('')}</table>`;
const table = (header: string[], rows: Array<Array<string | number>>) => tableOf(header,
  rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`));

/** The balance charts: boxes per class and box sizes (where boxes are labelled), images per class (class labels), defect-free share. */
function charts(check: DatasetCheck): string[] {
  const s = check.splits;
  const out: string[] = [];
  const { classes: classNames, boxNames } = namesOf(check);
  const series = (value: (x: DatasetCheck['splits'][number], key: string) => number, keys: string[]) =>
    s.map((x) => ({ name: x.split, values: keys.map((k) => value(x, k)) }));
  if (boxNames.length) {
    out.push(barChartSvg({ title: 'Boxes per class', categories: boxNames, series: series((x, k) => x.boxes[k] ?? 0, boxNames) }));
    const bins = ['small', 'medium', 'large'] as const;
    out.push(barChartSvg({ title: 'Box sizes (COCO bins)', categories: [...bins],
      series: series((x, k) => x.sizes[k as typeof bins[number]], [...bins]) }));
  }
  if (classNames.length) {
    out.push(barChartSvg({ title: 'Images per class', categories: classNames, series: series((x, k) => x.classes?.[k] ?? 0, classNames) }));
  }
  if (s.length) {
    out.push(barChartSvg({ title: 'Defect-free share', categories: s.map((x) => x.split), percent: true,
      series: [{ name: 'defect-free', values: s.map((x) => (x.images ? x.defectFree / x.images : 0)) }] }));
  }
  return out;
}

/** The report page (see the module comment). */
export async function datasetReportHtml(check: DatasetCheck, o: DatasetReportOptions = {}): Promise<string> {
  const title = o.title ?? 'Dataset check';
  const limit = Math.max(0, o.thumbnails ?? 200);
  const shown = check.findings.slice(0, limit);
  const wanted: Array<{ finding: number; file: string; box?: Box }> = [];
  shown.forEach((f, i) => {
    const file = shownImage(f);
    if (file) wanted.push({ finding: i, file, box: f.box });
    if (f.of) wanted.push({ finding: i, file: f.of.path });
  });
  const uris = await thumbnails(wanted, o.thumbnailSize ?? 160);
  const imgs = new Map<number, string[]>();
  wanted.forEach((w, k) => {
    const uri = uris[k];
    if (uri) imgs.set(w.finding, [...(imgs.get(w.finding) ?? []), `<img src="${uri}" alt="${esc(w.file)}" title="${esc(w.file)}">`]);
  });
  const images = check.splits.reduce((a, x) => a + x.images, 0);
  const kinds = FINDING_KINDS.filter((k) => k !== 'disagreement' || check.model);
  const where = (f: Finding) => `${findingPlace(f)}${f.of ? ` = ${f.of.split}: ${f.of.path}` : ''}`;
  const balance = balanceTable(check);
  const left = check.findings.length - shown.length;
  const m = check.model;
  return [
    '<!DOCTYPE html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(title)}</h1>`,
    `<p>${check.splits.length} split${check.splits.length === 1 ? '' : 's'}, ${images} images, ${check.findings.length} findings`
      + `${check.classNames ? `; classes ${esc(check.classNames.join(', '))}` : ''}.`
      + `${m ? ` Model ${esc(m.name)} (${m.task}) on ${m.images} images, disagreeing from ${m.confident} sure`
        + `${m.failed.length ? `, failed on ${m.failed.length}` : ''}.` : ''}</p>`,
    '<h2>Balance</h2>',
    table(['format', ...balance.header], balance.rows.map((row, i) => [check.splits[i].format, ...row])),
    `<div class="charts">${charts(check).join('')}</div>`,
    '<h2>Findings</h2>',
    table(['finding', 'count'], kinds.map((k) => [k, check.findings.filter((f) => f.kind === k).length])),
    check.findings.length ? tableOf(['#', 'finding', 'split', 'where', 'detail'], check.findings.map((f, i) => `<tr>${cell(i + 1)}`
      + `<td><code>${f.kind}</code>${f.leak ? ' (leak)' : ''}</td>${cell(f.split)}${cell(where(f))}`
      + `<td>${esc(f.detail)}${(imgs.get(i) ?? []).join('')}</td></tr>`)) : '<p>None.</p>',
    left > 0 ? `<p class="note">Thumbnails for the first ${shown.length} findings; ${left} more are listed without one.</p>` : '',
    '</body></html>',
    '',
  ].join('\n');
}
