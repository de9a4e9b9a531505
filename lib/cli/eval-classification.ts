/** `eval` of a classifier, or of several as the Inspector's ensemble (their average) beside each member. */
import { ClassifierEnsemble } from '../stages/ensemble';
import { DieInspectError } from '../core/errors';
import { bootstrapAuc, Interval } from '../eval/bootstrap';
import type { DatasetFormat } from '../eval/datasets';
import { readClassificationDataset } from '../eval/datasets';
import { evaluateClassification } from '../eval/classification';
import { rocChartSvg, writePlot } from '../eval/plots';
import { EvalCliOptions, fmt, inSteps, RunOptions, signed, taskMismatch } from './eval-shared';
import { formatTable } from './table';

/** --bootstrap: the AUC interval of the evaluated model (or average), and of each member against it. */
interface ClassificationIntervals {
  samples: number;
  seed: number;
  level: number;
  auc: Interval;
  members?: Array<{ model: string; auc: Interval; ensembleMinus: Interval; ensembleBetter: number; ensembleTied: number }>;
}

export async function evalClassification(o: EvalCliOptions, format: DatasetFormat,
  r: RunOptions): Promise<void> {
  const data = await readClassificationDataset(o.data, { format, list: o.list });
  // Several models: their probability average is what is evaluated; each member's AUC is reported beside it.
  const ensemble = await ClassifierEnsemble.create(o.model.map((model) => ({ model, options: { imgsz: r.imgsz, providers: r.providers, maxBatch: r.batch, ...r.limits } })));
  const wrongTask = ensemble.members.map((m, j) => taskMismatch(o.model[j], m.info, 'classify', o.data, format)).find(Boolean);
  if (wrongTask) {
    ensemble.close();
    throw wrongTask;
  }
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
  try {
    await inSteps(data.samples, r.batch, async (batch) => {
      const results = await ensemble.classify(batch.map((s) => s.path));
      results.forEach((res, k) => {
        // an image counts only when every member classified it, so all AUCs see the same images
        if (res.error || res.members.some((p) => !p.length)) { failed.push(`${batch[k].path}: ${res.error?.code ?? 'a member failed'}`); return; }
        labels.push(relabel(batch[k].label));
        probabilities.push(res.probabilities);
        res.members.forEach((p, j) => memberProbabilities[j].push(p));
      });
    });
  } finally {
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
  let intervals: ClassificationIntervals | undefined;
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
    const span = (v: Interval) => `${fmt(v[0], 5)}-${fmt(v[1], 5)}`;
    process.stdout.write(`${Math.round(intervals.level * 100)}% bootstrap intervals (${intervals.samples} resamples, seed ${intervals.seed}): `
      + `AUC ${span(intervals.auc)}\n`);
    for (const mb of intervals.members ?? []) {
      process.stdout.write(`  member ${mb.model}: AUC ${span(mb.auc)}; average - member ${signed(mb.ensembleMinus[0], 5)} to ${signed(mb.ensembleMinus[1], 5)}, `
        + `average ahead in ${(100 * mb.ensembleBetter).toFixed(1)}% of resamples, tied in ${(100 * mb.ensembleTied).toFixed(1)}%\n`);
    }
  }
  process.stdout.write(`provider: ${clf.provider}${failed.length ? `, ${failed.length} images skipped` : ''}\n`);
  for (const p of plots) process.stdout.write(`wrote ${p}\n`);
}
