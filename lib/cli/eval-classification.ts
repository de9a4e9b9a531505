/** `eval` of a classifier, or of several as the Inspector's ensemble (their average) beside each member: options in, tables or JSON out. */
import type { Interval } from '../eval/bootstrap';
import type { DatasetFormat } from '../eval/datasets';
import { readClassificationDataset } from '../eval/datasets';
import { rocChartSvg, writePlot } from '../eval/plots';
import { expectedCalibrationError } from '../eval/ensemble-fit';
import { classifyDataset, positiveClassOf, scoreClassifierRun } from '../eval/run-classifier';
import { ClassifierEnsemble } from '../stages/ensemble';
import { EvalCliOptions, fmt, RunOptions, signed, withProgress } from './eval-shared';
import { formatTable } from './table';

export async function evalClassification(o: EvalCliOptions, format: DatasetFormat, r: RunOptions): Promise<void> {
  const data = await readClassificationDataset(o.data, { format, list: o.list });
  const classifier = { imgsz: r.imgsz, providers: r.providers, maxBatch: r.batch, ...r.limits };
  const ensemble = o.ensemble ? await ClassifierEnsemble.create(o.ensemble, classifier) : undefined;
  const names = ensemble ? ensemble.memberNames : o.model;
  let run;
  try {
    run = await withProgress(() => '', (onProgress) => classifyDataset(ensemble ?? o.model, data, { classifier, onProgress }));
  } finally {
    ensemble?.close();
  }
  for (const f of run.failed.slice(0, 10)) process.stderr.write(`warning: skipped ${f.path}: ${f.error?.code ?? 'a member failed'}\n`);
  // --positive is checked here, once the classes are known, so that its error names the option
  const positiveClass = o.positive === undefined ? 1 : positiveClassOf(run, o.positive, '--positive');
  const e = scoreClassifierRun(run, { threshold: r.conf, positiveClass, bootstrap: r.bootstrap });
  const m = e.metrics;
  const members = e.members?.map((mb, j) => ({ model: names[j], ...mb }));
  const intervals = e.intervals && { ...e.intervals, members: e.intervals.members?.map((mb, j) => ({ model: names[j], ...mb })) };
  // how far the (ensemble's) probability of the positive class is from the observed rate
  const ece = m.threshold === null ? null
    : expectedCalibrationError(run.probabilities.map((p) => p[positiveClass]), run.labels.map((l) => (l === positiveClass ? 1 : 0)));
  const plots = o.plots ? [await writePlot(o.plots, 'roc.svg', rocChartSvg(m.roc.length === 1
    ? [{ name: m.perClass[positiveClass].name, roc: m.roc[0], auc: m.auc }]
    : m.roc.map((roc, c) => ({ name: m.perClass[c].name, roc, auc: m.perClass[c].auc })).filter((c) => Number.isFinite(c.auc))))] : [];
  const report = {
    task: 'classify', model: ensemble ? ensemble.manifestFile : o.model.length === 1 ? o.model[0] : o.model, members,
    ...(ensemble ? { combination: { rule: ensemble.combination.rule, weights: ensemble.combination.weights,
      calibration: ensemble.combination.calibration?.method ?? null } } : {}), data: o.data, format, provider: e.provider,
    failedImages: e.failed.length, plots,
    samples: m.samples, positive: m.threshold === null ? null : m.perClass[positiveClass].name, auc: m.auc, accuracy: m.accuracy,
    precision: m.precision, recall: m.recall, f1: m.f1, threshold: m.threshold, ece,
    perClass: m.perClass, confusion: m.confusion, ...(intervals ? { intervals } : {}),
  };
  if (o.json) {
    process.stdout.write(JSON.stringify(report) + '\n');
    return;
  }
  process.stdout.write(formatTable(['class', 'support', 'P', 'R', 'F1', 'AUC'],
    m.perClass.map((c) => [c.name, c.support, fmt(c.precision), fmt(c.recall), fmt(c.f1), fmt(c.auc)])));
  const decision = m.threshold === null ? ' (argmax, macro)' : ` (threshold ${m.threshold} on ${m.perClass[positiveClass].name})`;
  process.stdout.write(`\n${m.samples} images: AUC ${fmt(m.auc)}, accuracy ${fmt(m.accuracy)}, `
    + `P ${fmt(m.precision)}, R ${fmt(m.recall)}, F1 ${fmt(m.f1)}${decision}\n`);
  if (ece !== null) process.stdout.write(`calibration error (ECE, 10 bins): ${fmt(ece, 4)}\n`);
  for (const mb of members ?? []) process.stdout.write(`  member ${mb.model}: AUC ${fmt(mb.auc)}\n`);
  if (intervals) {
    const span = (v: Interval) => `${fmt(v[0], 5)}-${fmt(v[1], 5)}`;
    process.stdout.write(`${Math.round(intervals.level * 100)}% bootstrap intervals `
      + `(${intervals.samples} resamples, seed ${intervals.seed}): AUC ${span(intervals.auc)}\n`);
    const combined = ensemble ? 'ensemble' : 'average';
    for (const mb of intervals.members ?? []) {
      process.stdout.write(`  member ${mb.model}: AUC ${span(mb.auc)}; `
        + `${combined} - member ${signed(mb.ensembleMinus[0], 5)} to ${signed(mb.ensembleMinus[1], 5)}, `
        + `${combined} ahead in ${(100 * mb.ensembleBetter).toFixed(1)}% of resamples, tied in ${(100 * mb.ensembleTied).toFixed(1)}%\n`);
    }
  }
  process.stdout.write(`provider: ${e.provider}${e.failed.length ? `, ${e.failed.length} images skipped` : ''}\n`);
  for (const p of plots) process.stdout.write(`wrote ${p}\n`);
}
