/** `die-inspect eval --model M --data D`: accuracy of a detector (mAP, P/R/F1) or classifier (AUC, ...) on a labelled dataset. */
import { Command, Option } from 'commander';
import { ClassifierEnsemble } from '../../ensemble';
import { Detector } from '../../detector';
import { DieInspectError } from '../../errors';
import {
  DatasetFormat, DetectionDataset, detectFormat, readClassificationDataset, readDetectionDataset,
} from '../../eval/datasets';
import { bootstrapAuc, bootstrapDifference } from '../../eval/bootstrap';
import { evaluateClassification } from '../../eval/classification';
import { DetectionMetrics, evaluateDetections } from '../../eval/detection';
import { prChartSvg, rocChartSvg, writePlot } from '../../eval/plots';
import type { EvalImage } from '../../eval/types';
import { nonNegativeInt, parseNumber, parseProviders, positiveInt } from '../options';
import { progressBar } from '../progress';
import { formatTable } from '../table';

interface EvalCliOptions {
  model: string[];
  data: string;
  format?: string;
  list?: string;
  task?: string;
  conf?: string;
  iou: string;
  imgsz?: string;
  batch: string;
  protocol: string;
  maxDet: string;
  bootstrap?: string;
  seed: string;
  align?: boolean;
  positive?: string;
  plots?: string;
  json?: boolean;
  provider?: string;
  ep?: string;
}

const FORMATS: DatasetFormat[] = ['yolo', 'coco', 'deeppcb', 'folders', 'csv'];

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

function unitInterval(text: string, name: string): number {
  const v = parseNumber(text, name);
  if (v < 0 || v > 1) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be within [0, 1], got '${text}'`);
  return v;
}

const fmt = (v: number | null | undefined, d = 3) => (v === null || v === undefined || !Number.isFinite(v) || v < 0 ? '-' : v.toFixed(d));

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a detector (COCO mAP, P/R/F1, confusion) or classifier (AUC, accuracy, P/R/F1) on a labelled dataset')
    .requiredOption('-m, --model <file>', 'ONNX detector or classifier; a second detector is compared with the first (paired bootstrap); '
      + 'repeat classifiers to evaluate their average (ensemble) next to each member',
      (v: string, prev: string[]) => [...prev, v], [] as string[])
    .requiredOption('-d, --data <path>', 'dataset: YOLO folder or data.yaml, COCO JSON, DeepPCB folder, class folders or CSV')
    .option('--format <f>', `dataset format (${FORMATS.join('|')}); default: guessed from --data`)
    .option('--list <file>', 'DeepPCB list file (default: test.txt, else trainval.txt)')
    .option('--task <t>', 'detect or classify (default: from the dataset format)')
    .option('--conf <c>', 'confidence for precision/recall/F1 and the confusion matrix (detect, default 0.25); decision threshold (binary classify, default 0.5)')
    .option('--iou <t>', 'NMS IoU threshold (detect)', '0.6')
    .option('--imgsz <n>', 'input size for models with dynamic height/width')
    .option('--batch <n>', 'images per model call', '16')
    .option('--protocol <p>', 'coco, or deeppcb (a hit needs IoU > 0.33; P/R/F-score follow it)', 'coco')
    .option('--max-det <n>', 'detections kept per image and class for mAP', '100')
    .option('--bootstrap <n>', '95% confidence intervals from n resamples of the images (e.g. 1000): of mAP and each AP (detect; '
      + 'two detectors are always compared, over 1000 unless given), of AUC and the ensemble against each member (binary classify)')
    .option('--seed <s>', 'seed of the bootstrap resampling (--bootstrap, or two detectors compared)', '0')
    .option('--align', 'pair models: register each reference to its image first (shift and rotation)')
    .option('--positive <class>', 'binary classify: the positive class, by name or id (default 1)')
    .option('--plots <dir>', 'write PR (detect) or ROC (classify) curves as SVG into this folder')
    .option('--provider <providers>', 'execution providers, e.g. tensorrt,cuda,cpu', 'cpu')
    .addOption(new Option('--ep <providers>', 'same as --provider').hideHelp())
    .option('--json', 'print one JSON object')
    .action(async (o: EvalCliOptions) => {
      const format = o.format ? oneOf(o.format, FORMATS, '--format') : await detectFormat(o.data);
      const task = o.task ? oneOf(o.task, ['detect', 'classify'] as const, '--task')
        : format === 'folders' || format === 'csv' ? 'classify' : 'detect';
      const protocol = oneOf(o.protocol, ['coco', 'deeppcb'] as const, '--protocol');
      if (task === 'classify' && protocol !== 'coco') throw new DieInspectError('ERR_INVALID_ARG', '--protocol applies to detection only');
      const common = {
        providers: parseProviders(o.ep ?? o.provider ?? 'cpu'),
        imgsz: o.imgsz ? positiveInt(o.imgsz, '--imgsz') : undefined,
        batch: positiveInt(o.batch, '--batch'),
        conf: o.conf === undefined ? undefined : unitInterval(o.conf, '--conf'),
      };
      if (task === 'detect') {
        if (o.model.length > 2) throw new DieInspectError('ERR_INVALID_ARG', 'eval: one detector, or two to compare');
        const seed = nonNegativeInt(o.seed, '--seed');
        const bootstrap = o.bootstrap === undefined ? undefined : { samples: positiveInt(o.bootstrap, '--bootstrap'), seed };
        await evalDetection(o, format, protocol, { ...common, iou: unitInterval(o.iou, '--iou'), maxDet: positiveInt(o.maxDet, '--max-det'), bootstrap, seed, align: o.align });
      } else {
        const bootstrap = o.bootstrap === undefined ? undefined
          : { samples: positiveInt(o.bootstrap, '--bootstrap'), seed: nonNegativeInt(o.seed, '--seed') };
        await evalClassification(o, format, { ...common, bootstrap });
      }
    });
}

interface RunOptions {
  providers: ReturnType<typeof parseProviders>;
  imgsz?: number;
  batch: number;
  conf?: number;
}

interface DetectionRun {
  model: string;
  images: EvalImage[];
  names: string[];
  failed: string[];
  provider: string;
}

/** One detector over the dataset: each image's ground truth and detections (a failed image keeps its ground truth: all missed). */
async function detectDataset(model: string, data: DetectionDataset, format: DatasetFormat, r: RunOptions & { iou: number; align?: boolean }): Promise<DetectionRun> {
  // Low confidence so the PR curve reaches high recall; --conf applies afterwards.
  const det = await Detector.create(model, { conf: 0.001, iou: r.iou, imgsz: r.imgsz, providers: r.providers, maxBatch: r.batch, maxDet: 300 });
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
  const bar = progressBar('eval', 'images');
  try {
    for (let i = 0; i < data.images.length; i += r.batch) {
      const batch = data.images.slice(i, i + r.batch);
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
      bar.update(Math.min(i + r.batch, data.images.length), data.images.length, `${images.length} images`);
    }
  } finally {
    bar.stop();
    det.close();
  }
  for (const f of failed.slice(0, 10)) process.stderr.write(`warning: ${f}\n`);
  if (failed.length > 10) process.stderr.write(`warning: ${failed.length - 10} more images failed\n`);
  return { model, images, names, failed, provider: det.provider };
}

async function evalDetection(o: EvalCliOptions, format: DatasetFormat, protocol: 'coco' | 'deeppcb',
  r: RunOptions & { iou: number; maxDet: number; bootstrap?: { samples: number; seed: number }; seed: number; align?: boolean }): Promise<void> {
  const data = await readDetectionDataset(o.data, { format, list: o.list });
  const runs: DetectionRun[] = [];
  for (const model of o.model) runs.push(await detectDataset(model, data, format, r));
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
  const signed = (v: number) => (v < 0 ? '' : '+') + v.toFixed(3);
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

async function evalClassification(o: EvalCliOptions, format: DatasetFormat,
  r: RunOptions & { bootstrap?: { samples: number; seed: number } }): Promise<void> {
  const data = await readClassificationDataset(o.data, { format, list: o.list });
  // Several models: their probability average is what is evaluated; each member's AUC is reported beside it.
  const ensemble = await ClassifierEnsemble.create(o.model.map((model) => ({ model, options: { imgsz: r.imgsz, providers: r.providers, maxBatch: r.batch } })));
  const clf = ensemble.members[0];
  // Align labels with the model's output columns by name when both sides name their classes.
  let names = data.classNames ?? clf.classNames;
  let relabel = (l: number) => l;
  if (data.classNames && clf.classNames && data.classNames.every((n) => clf.classNames!.includes(n))) {
    const dn = data.classNames, mn = clf.classNames;
    relabel = (l) => mn.indexOf(dn[l]);
    names = mn;
  }
  const labels: number[] = [];
  const probabilities: number[][] = [];
  const memberProbabilities: number[][][] = o.model.map(() => []);
  const failed: string[] = [];
  const bar = progressBar('eval', 'images');
  try {
    for (let i = 0; i < data.samples.length; i += r.batch) {
      const batch = data.samples.slice(i, i + r.batch);
      const results = await ensemble.classify(batch.map((s) => s.path));
      results.forEach((res, k) => {
        // an image counts only when every member classified it, so all AUCs see the same images
        if (res.error || res.members.some((p) => !p.length)) { failed.push(`${batch[k].path}: ${res.error?.code ?? 'a member failed'}`); return; }
        labels.push(relabel(batch[k].label));
        probabilities.push(res.probabilities);
        res.members.forEach((p, j) => memberProbabilities[j].push(p));
      });
      bar.update(Math.min(i + r.batch, data.samples.length), data.samples.length);
    }
  } finally {
    bar.stop();
    ensemble.close();
  }
  for (const f of failed.slice(0, 10)) process.stderr.write(`warning: skipped ${f}\n`);
  if (!labels.length) throw new DieInspectError('ERR_INFERENCE', 'no image could be classified');
  const k = probabilities[0].length;
  if (names && names.length !== k) names = names.length > k ? names.slice(0, k) : [...names, ...Array.from({ length: k - names.length }, (_, i) => String(names!.length + i))];
  let positiveClass = 1;
  if (o.positive !== undefined) {
    positiveClass = names?.includes(o.positive) ? names.indexOf(o.positive) : Number(o.positive);
    if (!Number.isInteger(positiveClass) || positiveClass < 0 || positiveClass >= k) {
      throw new DieInspectError('ERR_INVALID_ARG', `--positive must name a class (${(names ?? []).join(', ')}) or be an id below ${k}, got '${o.positive}'`);
    }
  }
  const m = evaluateClassification({ labels, probabilities, classNames: names }, { threshold: r.conf ?? 0.5, positiveClass });
  const members = o.model.length > 1 ? o.model.map((model, j) => ({
    model, auc: evaluateClassification({ labels, probabilities: memberProbabilities[j], classNames: names }, { threshold: r.conf ?? 0.5, positiveClass }).auc,
  })) : undefined;
  const plots = o.plots ? [await writePlot(o.plots, 'roc.svg', rocChartSvg(m.roc.length === 1
    ? [{ name: m.perClass[positiveClass].name, roc: m.roc[0], auc: m.auc }]
    : m.roc.map((roc, c) => ({ name: m.perClass[c].name, roc, auc: m.perClass[c].auc })).filter((c) => Number.isFinite(c.auc))))] : [];
  let intervals: Record<string, unknown> | undefined;
  if (r.bootstrap) {
    if (m.threshold === null) throw new DieInspectError('ERR_INVALID_ARG', '--bootstrap for classification needs two classes');
    // The average (or the one model) first, then each member: intervals, and the paired average - member.
    const positive = labels.map((l) => (l === positiveClass ? 1 : 0));
    const sets = [probabilities, ...(members ? memberProbabilities : [])].map((ps) => ps.map((p) => p[positiveClass]));
    const b = bootstrapAuc(sets, positive, r.bootstrap);
    intervals = {
      samples: b.samples, seed: b.seed, level: b.level, auc: b.auc[0],
      members: members?.map((mb, j) => ({ model: mb.model, auc: b.auc[j + 1], ensembleMinus: b.firstMinus[j].interval,
        ensembleBetter: b.firstMinus[j].firstBetter, ensembleTied: b.firstMinus[j].tied })),
    };
  }
  const report = {
    task: 'classify', model: o.model.length === 1 ? o.model[0] : o.model, members, data: o.data, format, provider: clf.provider, failedImages: failed.length, plots,
    samples: m.samples, positive: m.threshold === null ? null : m.perClass[positiveClass].name, auc: m.auc, accuracy: m.accuracy, precision: m.precision, recall: m.recall, f1: m.f1, threshold: m.threshold,
    perClass: m.perClass, confusion: m.confusion, ...(intervals ? { intervals } : {}),
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  process.stdout.write(formatTable(['class', 'support', 'P', 'R', 'F1', 'AUC'],
    m.perClass.map((c) => [c.name, c.support, fmt(c.precision), fmt(c.recall), fmt(c.f1), fmt(c.auc)])));
  process.stdout.write(`\n${m.samples} images: AUC ${fmt(m.auc)}, accuracy ${fmt(m.accuracy)}, P ${fmt(m.precision)}, R ${fmt(m.recall)}, F1 ${fmt(m.f1)}`
    + `${m.threshold === null ? ' (argmax, macro)' : ` (threshold ${m.threshold} on ${m.perClass[positiveClass].name})`}\n`);
  for (const mb of members ?? []) process.stdout.write(`  member ${mb.model}: AUC ${fmt(mb.auc)}\n`);
  if (intervals) {
    const span = (v: [number, number], d = 5) => `${fmt(v[0], d)}-${fmt(v[1], d)}`;
    const signed = (v: number) => (v < 0 ? '' : '+') + v.toFixed(5);
    process.stdout.write(`${Math.round((intervals.level as number) * 100)}% bootstrap intervals (${intervals.samples} resamples, seed ${intervals.seed}): `
      + `AUC ${span(intervals.auc as [number, number])}\n`);
    type MemberInterval = { model: string; auc: [number, number]; ensembleMinus: [number, number]; ensembleBetter: number; ensembleTied: number };
    for (const mb of (intervals.members ?? []) as MemberInterval[]) {
      process.stdout.write(`  member ${mb.model}: AUC ${span(mb.auc)}; average - member ${signed(mb.ensembleMinus[0])} to ${signed(mb.ensembleMinus[1])}, `
        + `average ahead in ${(100 * mb.ensembleBetter).toFixed(1)}% of resamples, tied in ${(100 * mb.ensembleTied).toFixed(1)}%\n`);
    }
  }
  process.stdout.write(`provider: ${clf.provider}${failed.length ? `, ${failed.length} images skipped` : ''}\n`);
  for (const p of plots) process.stdout.write(`wrote ${p}\n`);
}
