/** `eval` of one detector (COCO mAP, P/R/F1, confusion), or two compared by the paired bootstrap. */
import { Detector } from '../stages/detector';
import { DieInspectError } from '../core/errors';
import { bootstrapDifference } from '../eval/bootstrap';
import type { DatasetFormat, DetectionDataset } from '../eval/datasets';
import { readDetectionDataset } from '../eval/datasets';
import { DetectionMetrics, evaluateDetections } from '../eval/detection';
import { prChartSvg, writePlot } from '../eval/plots';
import type { EvalImage } from '../eval/types';
import { EvalCliOptions, fmt, inSteps, RunOptions, signed, taskMismatch } from './eval-shared';
import { formatTable } from './table';

interface DetectionRun {
  model: string;
  images: EvalImage[];
  names: string[];
  failed: string[];
  provider: string;
}

/**
 * One detector over the dataset (read from `source`, in `format`): each image's ground
 * truth and detections (a failed image keeps its ground truth: all missed).
 */
async function detectDataset(model: string, data: DetectionDataset, source: string, format: DatasetFormat,
  r: RunOptions & { iou: number; align?: boolean }): Promise<DetectionRun> {
  // Low confidence so the PR curve reaches high recall; --conf applies afterwards.
  const det = await Detector.create(model, { conf: 0.001, iou: r.iou, imgsz: r.imgsz, providers: r.providers, maxBatch: r.batch, maxDet: 300, ...r.limits });
  const wrongTask = taskMismatch(model, det.info, 'detect', source, format);
  if (wrongTask) {
    det.close();
    throw wrongTask;
  }
  const unpaired = det.needsReference ? data.images.find((s) => !s.reference) : undefined;
  if (unpaired) {
    det.close();
    throw new DieInspectError('ERR_INVALID_ARG', `${model} compares each image with its reference, and ${format} data give none `
      + `(${unpaired.path}); DeepPCB folders give their templates`);
  }
  if (r.align && !det.needsReference) {
    det.close();
    throw new DieInspectError('ERR_INVALID_ARG', `--align: ${model} takes single images, not reference pairs`);
  }
  const { names, toData } = mapClasses(data.classNames, det.classNames);
  const images: EvalImage[] = [];
  const failed: string[] = [];
  try {
    await inSteps(data.images, r.batch, async (batch) => {
      const results = await det.detect(batch.map((s) => (det.needsReference ? { image: s.path, reference: s.reference!, align: r.align } : s.path)));
      results.forEach((res, k) => {
        const s = batch[k];
        if (res.error) failed.push(`${s.path}: ${res.error.code}`);
        images.push({
          id: s.id,
          groundTruth: s.groundTruth,
          detections: res.detections.map((d) => ({ box: d.box, score: d.score, classId: toData(d.classId) })),
        });
      });
      return `${images.length} images`;
    });
  } finally {
    det.close();
  }
  for (const f of failed.slice(0, 10)) process.stderr.write(`warning: ${f}\n`);
  if (failed.length > 10) process.stderr.write(`warning: ${failed.length - 10} more images failed\n`);
  return { model, images, names, failed, provider: det.provider };
}

export async function evalDetection(o: EvalCliOptions, format: DatasetFormat, protocol: 'coco' | 'deeppcb',
  r: RunOptions & { iou: number; maxDet: number; align?: boolean }): Promise<void> {
  const data = await readDetectionDataset(o.data, { format, list: o.list });
  const runs: DetectionRun[] = [];
  for (const model of o.model) runs.push(await detectDataset(model, data, o.data, format, r));
  if (runs.length === 2 && runs[0].names.join('\n') !== runs[1].names.join('\n')) {
    throw new DieInspectError('ERR_INVALID_ARG', `eval: compared detectors must have the same classes (${runs[0].names.join(', ')} vs ${runs[1].names.join(', ')})`);
  }
  const evaluated: Array<{ m: DetectionMetrics; report: Record<string, unknown> }> = [];
  for (const [i, run] of runs.entries()) {
    const m = evaluateDetections(run.images, { classNames: run.names, conf: r.conf ?? 0.25, maxDets: r.maxDet, deeppcb: protocol === 'deeppcb', bootstrap: r.bootstrap });
    const plotName = runs.length > 1 ? `pr_curve-${i + 1}.svg` : 'pr_curve.svg';
    const plots = o.plots ? [await writePlot(o.plots, plotName, prChartSvg(run.names, m.prCurves, m.perClass.map((c) => c.ap50)))] : [];
    evaluated.push({ m, report: detectionReport(m, protocol, { model: run.model, data: o.data, format, provider: run.provider, failedImages: run.failed.length, plots }) });
  }
  if (runs.length === 1) {
    if (o.json) process.stdout.write(JSON.stringify(evaluated[0].report) + '\n');
    else printDetection(evaluated[0].m, evaluated[0].report);
    return;
  }
  // Two detectors: the paired bootstrap says whether the first is better on this data.
  const difference = bootstrapDifference(runs[0].images, runs[1].images, runs[0].names.length, { maxDets: r.maxDet, seed: r.seed, samples: r.bootstrap?.samples });
  const [a, b] = evaluated.map((e) => e.m);
  const diff = {
    first: runs[0].model,
    second: runs[1].model,
    map50: a.map50 - b.map50,
    map50_95: a.map50_95 - b.map50_95,
    perClass: a.perClass.map((c, k) => ({ name: c.name, ap50: c.ap50 - b.perClass[k].ap50, ap50_95: c.ap50_95 - b.perClass[k].ap50_95 })),
    intervals: difference,
  };
  if (o.json) {
    process.stdout.write(JSON.stringify({ task: 'detect', models: evaluated.map((e) => e.report), difference: diff }) + '\n');
    return;
  }
  for (const e of evaluated) {
    process.stdout.write(`== ${e.report.model}\n`);
    printDetection(e.m, e.report);
    process.stdout.write('\n');
  }
  const span = (v: [number, number]) => `${signed(v[0])} to ${signed(v[1])}`;
  process.stdout.write(`first - second, paired over the same images (${difference.samples} resamples, seed ${difference.seed}; `
    + `${Math.round(difference.level * 100)}% intervals)\n`);
  process.stdout.write(formatTable(['class', 'AP50', 'interval', 'AP50-95', 'interval'], [
    ['all', signed(diff.map50), span(difference.map50), signed(diff.map50_95), span(difference.map50_95)],
    ...diff.perClass.map((c, k) => [c.name, signed(c.ap50), span(difference.perClass[k].ap50), signed(c.ap50_95), span(difference.perClass[k].ap50_95)]),
  ]));
  process.stdout.write(`the first is ahead in ${(100 * difference.firstBetter.map50).toFixed(1)}% of resamples on mAP50, `
    + `${(100 * difference.firstBetter.map50_95).toFixed(1)}% on mAP50-95\n`);
}

/** Model class ids -> dataset class ids: by name when every dataset name is among the model's, else by index. */
function mapClasses(dataNames: string[] | undefined, modelNames: string[] | undefined): { names: string[]; toData: (id: number) => number } {
  if (dataNames && modelNames && dataNames.every((n) => modelNames.includes(n))) {
    const names = [...dataNames];
    const table = modelNames.map((n) => {
      const k = names.indexOf(n);
      if (k >= 0) return k;
      names.push(n); // a class the dataset never labels: its detections are false alarms
      return names.length - 1;
    });
    return { names, toData: (id) => table[id] ?? id };
  }
  const names = [...(dataNames ?? modelNames ?? [])];
  for (let i = names.length; i < (modelNames?.length ?? 0); i++) names.push(modelNames![i]);
  return { names, toData: (id) => id };
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
  const perClass = report.perClass as Array<{ name: string; instances: number; ap50: number; ap50_95: number; precision: number; recall: number; f1: number }>;
  const rows: Array<Array<string | number>> = [['all', m.instances, fmt(report.precision as number), fmt(report.recall as number), fmt(report.f1 as number), fmt(m.map50), fmt(m.map50_95)]];
  for (const c of perClass) rows.push([c.name, c.instances, fmt(c.precision), fmt(c.recall), fmt(c.f1), fmt(c.ap50), fmt(c.ap50_95)]);
  process.stdout.write(formatTable(['class', 'instances', 'P', 'R', 'F1', 'AP50', 'AP50-95'], rows));
  process.stdout.write(`\n${m.images} images; P/R/F1 at conf ${m.conf}, IoU ${report.matchIou === 0.5 ? '>= 0.5' : `> ${report.matchIou}`}; `
    + `mAP75 ${fmt(m.map75)}; by size (AP50-95): small ${fmt(m.sizes.small)}, medium ${fmt(m.sizes.medium)}, large ${fmt(m.sizes.large)}\n`);
  if (m.deeppcb) process.stdout.write(`DeepPCB protocol (IoU > ${m.deeppcb.iou}): mAP ${fmt(m.deeppcb.map)}, F-score ${fmt(m.deeppcb.fscore)}\n`);
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
