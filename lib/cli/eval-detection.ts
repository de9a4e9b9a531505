/** `eval` of one detector (COCO mAP, P/R/F1, confusion), or two compared by the paired bootstrap: options in, tables or JSON out. */
import type { DatasetFormat } from '../eval/datasets';
import { readDetectionDataset } from '../eval/datasets';
import type { DetectionMetrics } from '../eval/detection';
import { compareDetectors } from '../eval/compare-detectors';
import { prChartSvg, writePlot } from '../eval/plots';
import { DetectorEvaluation, evaluateDetector } from '../eval/run-detector';
import { EvalCliOptions, fmt, RunOptions, signed, withProgress } from './eval-shared';
import { formatTable } from './table';

export async function evalDetection(o: EvalCliOptions, format: DatasetFormat, protocol: 'coco' | 'deeppcb',
  r: RunOptions & { iou: number; maxDet: number; align?: boolean }): Promise<void> {
  const data = await readDetectionDataset(o.data, { format, list: o.list });
  const runs: DetectorEvaluation[] = [];
  for (const model of o.model) {
    const run = await withProgress((done) => `${done} images`, (onProgress) => evaluateDetector(model, data, {
      detector: { imgsz: r.imgsz, providers: r.providers, maxBatch: r.batch, ...r.limits },
      iou: r.iou, conf: r.conf, maxDets: r.maxDet, deeppcb: protocol === 'deeppcb', bootstrap: r.bootstrap, align: r.align, onProgress,
    }));
    for (const f of run.failed.slice(0, 10)) process.stderr.write(`warning: ${f.path}: ${f.error?.code}\n`);
    if (run.failed.length > 10) process.stderr.write(`warning: ${run.failed.length - 10} more images failed\n`);
    runs.push(run);
  }
  // Two detectors: the paired bootstrap says whether the first is better on this data.
  const comparison = runs.length === 2
    ? compareDetectors(runs[0], runs[1], { maxDets: r.maxDet, seed: r.seed, samples: r.bootstrap?.samples }) : undefined;
  const reports: Array<Record<string, unknown>> = [];
  for (const [i, run] of runs.entries()) {
    const plotName = runs.length > 1 ? `pr_curve-${i + 1}.svg` : 'pr_curve.svg';
    const plots = o.plots ? [await writePlot(o.plots, plotName,
      prChartSvg(run.classNames, run.metrics.prCurves, run.metrics.perClass.map((c) => c.ap50)))] : [];
    reports.push(detectionReport(run.metrics, protocol, {
      model: o.model[i], data: o.data, format, provider: run.provider, failedImages: run.failed.length, plots,
    }));
  }
  if (!comparison) {
    if (o.json) process.stdout.write(JSON.stringify(reports[0]) + '\n');
    else printDetection(runs[0].metrics, reports[0]);
    return;
  }
  const diff = { first: o.model[0], second: o.model[1], ...comparison };
  if (o.json) {
    process.stdout.write(JSON.stringify({ task: 'detect', models: reports, difference: diff }) + '\n');
    return;
  }
  runs.forEach((run, i) => {
    process.stdout.write(`== ${o.model[i]}\n`);
    printDetection(run.metrics, reports[i]);
    process.stdout.write('\n');
  });
  const difference = comparison.intervals;
  const span = (v: [number, number]) => `${signed(v[0])} to ${signed(v[1])}`;
  process.stdout.write(`first - second, paired over the same images (${difference.samples} resamples, seed ${difference.seed}; `
    + `${Math.round(difference.level * 100)}% intervals)\n`);
  process.stdout.write(formatTable(['class', 'AP50', 'interval', 'AP50-95', 'interval'], [
    ['all', signed(diff.map50), span(difference.map50), signed(diff.map50_95), span(difference.map50_95)],
    ...diff.perClass.map((c, k) => [
      c.name, signed(c.ap50), span(difference.perClass[k].ap50), signed(c.ap50_95), span(difference.perClass[k].ap50_95),
    ]),
  ]));
  process.stdout.write(`the first is ahead in ${(100 * difference.firstBetter.map50).toFixed(1)}% of resamples on mAP50, `
    + `${(100 * difference.firstBetter.map50_95).toFixed(1)}% on mAP50-95\n`);
}

function detectionReport(m: DetectionMetrics, protocol: string, extra: Record<string, unknown>): Record<string, unknown> {
  const p = protocol === 'deeppcb' && m.deeppcb ? m.deeppcb : undefined;
  return {
    task: 'detect',
    protocol,
    ...extra,
    images: m.images,
    instances: m.instances,
    map50: m.map50,
    map50_95: m.map50_95,
    map75: m.map75,
    mar100: m.mar,
    conf: m.conf,
    // The protocol decides what a hit is for precision/recall/F1: IoU >= 0.5 (coco) or > 0.33 (deeppcb).
    matchIou: p ? p.iou : 0.5,
    precision: p ? p.precision : m.precision,
    recall: p ? p.recall : m.recall,
    f1: p ? p.fscore : m.f1,
    tp: p ? p.tp : m.tp,
    fp: p ? p.fp : m.fp,
    fn: p ? p.fn : m.fn,
    perClass: m.perClass.map((c, i) => ({
      name: c.name, instances: c.instances, ap50: c.ap50, ap50_95: c.ap50_95,
      precision: p ? p.perClass[i].precision : c.precision, recall: p ? p.perClass[i].recall : c.recall, f1: p ? p.perClass[i].f1 : c.f1,
    })),
    sizes: m.sizes,
    confusion: m.confusion,
    ...(p ? { deeppcb: { iou: p.iou, map: p.map, precision: p.precision, recall: p.recall, fscore: p.fscore } } : {}),
    ...(m.intervals ? { intervals: m.intervals } : {}),
  };
}

function printDetection(m: DetectionMetrics, report: Record<string, unknown>): void {
  const perClass = report.perClass as Array<{
    name: string; instances: number; ap50: number; ap50_95: number; precision: number; recall: number; f1: number;
  }>;
  const rows: Array<Array<string | number>> = [[
    'all', m.instances, fmt(report.precision as number), fmt(report.recall as number), fmt(report.f1 as number),
    fmt(m.map50), fmt(m.map50_95),
  ]];
  for (const c of perClass) rows.push([c.name, c.instances, fmt(c.precision), fmt(c.recall), fmt(c.f1), fmt(c.ap50), fmt(c.ap50_95)]);
  process.stdout.write(formatTable(['class', 'instances', 'P', 'R', 'F1', 'AP50', 'AP50-95'], rows));
  const iou = report.matchIou === 0.5 ? '>= 0.5' : `> ${report.matchIou}`;
  process.stdout.write(`\n${m.images} images; P/R/F1 at conf ${m.conf}, IoU ${iou}; mAP75 ${fmt(m.map75)}; `
    + `by size (AP50-95): small ${fmt(m.sizes.small)}, medium ${fmt(m.sizes.medium)}, large ${fmt(m.sizes.large)}\n`);
  if (m.deeppcb) {
    process.stdout.write(`DeepPCB protocol (IoU > ${m.deeppcb.iou}): mAP ${fmt(m.deeppcb.map)}, F-score ${fmt(m.deeppcb.fscore)}\n`);
  }
  if (m.intervals) {
    const ci = m.intervals;
    const span = (v: [number, number]) => (v[0] < 0 ? '-' : `${fmt(v[0])}-${fmt(v[1])}`);
    process.stdout.write(`\n${Math.round(ci.level * 100)}% bootstrap intervals (${ci.samples} resamples of the images, seed ${ci.seed})\n`);
    process.stdout.write(formatTable(['class', 'AP50', 'AP50-95'], [
      ['all', span(ci.map50), span(ci.map50_95)],
      ...m.perClass.map((cl, i) => [cl.name, span(ci.perClass[i].ap50), span(ci.perClass[i].ap50_95)]),
    ]));
  }
  const c = m.confusion;
  process.stdout.write(`\nconfusion matrix (rows: true, columns: predicted; conf ${m.conf}, IoU 0.5)\n`);
  process.stdout.write(formatTable(['', ...c.labels], c.matrix.map((row, i) => [c.labels[i], ...row])));
  process.stdout.write(`provider: ${report.provider}${report.failedImages ? `, ${report.failedImages} images failed` : ''}\n`);
  for (const p of report.plots as string[]) process.stdout.write(`wrote ${p}\n`);
}
