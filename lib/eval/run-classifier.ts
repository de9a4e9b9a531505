/**
 * evaluateClassifier(): a classifier, or several as the Inspector's ensemble (their
 * average), run over a labelled set and scored, as `die-inspect eval` does.
 */
import { DieInspectError } from '../core/errors';
import type { ProviderName } from '../runtime/session';
import { Classifier, ClassifierOptions } from '../stages/classifier';
import { ClassifierEnsemble, EnsembleMember } from '../stages/ensemble';
import { BootstrapOptions, bootstrapAuc, Interval } from './bootstrap';
import { ClassificationMetrics, evaluateClassification } from './classification';
import type { ClassificationDataset } from './datasets';
import { inSteps } from './steps';
import { taskMismatch } from './task-check';
import type { FailedImage, ProgressCallback } from './types';

/** A classifier to evaluate: a name, path or bytes to load, or one already loaded. */
export type ClassifierModel = EnsembleMember['model'] | Classifier;

export interface ClassifierEvalOptions {
  /** How models given by name, path or bytes are loaded (providers, imgsz, maxBatch, limitInputPixels, ...). */
  classifier?: ClassifierOptions;
  /** Binary: the positive class is predicted when its probability is at least this. Default 0.5. */
  threshold?: number;
  /** Binary: the positive class, by name or id. Default 1. */
  positive?: string | number;
  /** Binary: bootstrap intervals of AUC, and of the average against each member. */
  bootstrap?: Omit<BootstrapOptions, 'maxDets'>;
  onProgress?: ProgressCallback;
}

export interface ClassifierIntervals {
  samples: number;
  seed: number;
  level: number;
  /** Of the one model's AUC, or the average's. */
  auc: Interval;
  /** Several models, in member order: each one's AUC interval, and the paired difference average - member. */
  members?: Array<{ auc: Interval; ensembleMinus: Interval; ensembleBetter: number; ensembleTied: number }>;
}

/** The models' probabilities on the images every member classified, before any metric. */
export interface ClassifierRun {
  /** Class names in the order of the probability columns. */
  classNames?: string[];
  /** Each image's true class, as a column index. */
  labels: number[];
  /** The one model's probabilities, or the members' average. */
  probabilities: number[][];
  /** Each member's own probabilities, in member order. */
  memberProbabilities: number[][][];
  /** Images left out: unreadable, or a member failed on them (so that every AUC sees the same images). */
  failed: FailedImage[];
  provider: ProviderName;
}

export interface ClassifierEvaluation extends ClassifierRun {
  /** Of the one model, or of the members' average. */
  metrics: ClassificationMetrics;
  /** The column metrics are about in a binary problem. */
  positiveClass: number;
  /** Several models: each one's AUC on the same images, in member order. */
  members?: Array<{ auc: number }>;
  intervals?: ClassifierIntervals;
}

/**
 * Runs `models` over `dataset` and scores them: ROC AUC, accuracy, P/R/F1 (binary at
 * `threshold` on the positive class; more classes by argmax, macro). Several models
 * are evaluated as their average, each one's AUC beside it. Models given by name, path
 * or bytes are loaded with `options.classifier` and closed after; a Classifier or a
 * ClassifierEnsemble is used as it is and left open.
 */
export async function evaluateClassifier(models: ClassifierModel | ClassifierModel[] | ClassifierEnsemble, dataset: ClassificationDataset,
  options: ClassifierEvalOptions = {}): Promise<ClassifierEvaluation> {
  const run = await classifyDataset(models, dataset, options);
  const positiveClass = options.positive === undefined ? 1 : positiveClassOf(run, options.positive);
  return scoreClassifierRun(run, { threshold: options.threshold, positiveClass, bootstrap: options.bootstrap });
}

/** The models' probabilities on `dataset` (the first half of evaluateClassifier()). */
export async function classifyDataset(models: ClassifierModel | ClassifierModel[] | ClassifierEnsemble, data: ClassificationDataset,
  o: Pick<ClassifierEvalOptions, 'classifier' | 'onProgress'> = {}): Promise<ClassifierRun> {
  const given = models instanceof ClassifierEnsemble ? models.members : Array.isArray(models) ? models : [models];
  const ensemble = models instanceof ClassifierEnsemble ? models
    : await ClassifierEnsemble.create(given.map((m) => (m instanceof Classifier ? m : { model: m, options: o.classifier })));
  try {
    const label = (j: number) => (typeof given[j] === 'string' ? given[j] as string : `member ${j + 1}`);
    const wrongTask = ensemble.members.map((m, j) => taskMismatch(label(j), m.info, 'classify', data)).find(Boolean);
    if (wrongTask) throw wrongTask;
    return await scoreImages(ensemble, data, o);
  } finally {
    // only what was loaded here
    for (const m of ensemble.members) if (!given.includes(m)) m.close();
  }
}

async function scoreImages(ensemble: ClassifierEnsemble, data: ClassificationDataset,
  o: Pick<ClassifierEvalOptions, 'classifier' | 'onProgress'>): Promise<ClassifierRun> {
  const clf = ensemble.members[0];
  // Labels follow the model's output columns by name when both sides name their classes.
  let names = data.classNames ?? clf.classNames;
  let relabel = (l: number) => l;
  if (data.classNames && clf.classNames && data.classNames.every((n) => clf.classNames!.includes(n))) {
    const dn = data.classNames, mn = clf.classNames;
    relabel = (l) => mn.indexOf(dn[l]);
    names = mn;
  }
  const run: ClassifierRun = {
    labels: [], probabilities: [], memberProbabilities: ensemble.members.map(() => []), failed: [], provider: clf.provider,
  };
  await inSteps(data.samples, o.classifier?.maxBatch, async (batch) => {
    (await ensemble.classify(batch.map((s) => s.path))).forEach((res, k) => {
      // an image counts only when every member classified it, so all AUCs see the same images
      if (res.error || res.members.some((p) => !p.length)) {
        run.failed.push({ path: batch[k].path, error: res.error });
        return;
      }
      run.labels.push(relabel(batch[k].label));
      run.probabilities.push(res.probabilities);
      res.members.forEach((p, j) => run.memberProbabilities[j].push(p));
    });
  }, o.onProgress);
  const k = run.probabilities[0]?.length;
  if (names && k !== undefined && names.length !== k) {
    names = names.length > k
      ? names.slice(0, k)
      : [...names, ...Array.from({ length: k - names.length }, (_, i) => String(names!.length + i))];
  }
  return { classNames: names, ...run };
}

/** The number of probability columns; a run without a classified image has no metrics. */
function columns(run: ClassifierRun): number {
  if (!run.labels.length) throw new DieInspectError('ERR_INFERENCE', 'no image could be classified');
  return run.probabilities[0].length;
}

/** The column `positive` names (a class name or id); `option` names it in the error. */
export function positiveClassOf(run: ClassifierRun, positive: string | number, option = 'positive'): number {
  const k = columns(run);
  const names = run.classNames;
  const id = typeof positive === 'string' && names?.includes(positive) ? names.indexOf(positive) : Number(positive);
  if (!Number.isInteger(id) || id < 0 || id >= k) {
    throw new DieInspectError('ERR_INVALID_ARG',
      `${option} must name a class (${(names ?? []).join(', ')}) or be an id below ${k}, got '${positive}'`);
  }
  return id;
}

/** The metrics of a run (the second half of evaluateClassifier()). */
export function scoreClassifierRun(run: ClassifierRun,
  o: { threshold?: number; positiveClass: number; bootstrap?: ClassifierEvalOptions['bootstrap'] }): ClassifierEvaluation {
  columns(run);
  const { labels, classNames } = run;
  const settings = { threshold: o.threshold ?? 0.5, positiveClass: o.positiveClass };
  const metrics = evaluateClassification({ labels, probabilities: run.probabilities, classNames }, settings);
  const several = run.memberProbabilities.length > 1;
  const members = several
    ? run.memberProbabilities.map((probabilities) => ({ auc: evaluateClassification({ labels, probabilities, classNames }, settings).auc }))
    : undefined;
  let intervals: ClassifierIntervals | undefined;
  if (o.bootstrap) {
    if (metrics.threshold === null) {
      throw new DieInspectError('ERR_INVALID_ARG', `bootstrap: AUC intervals need two classes, not ${metrics.perClass.length}`);
    }
    // The average (or the one model) first, then each member: intervals, and the paired average - member.
    const positive = labels.map((l) => (l === o.positiveClass ? 1 : 0));
    const sets = [run.probabilities, ...(several ? run.memberProbabilities : [])].map((ps) => ps.map((p) => p[o.positiveClass]));
    const b = bootstrapAuc(sets, positive, o.bootstrap);
    intervals = {
      samples: b.samples, seed: b.seed, level: b.level, auc: b.auc[0],
      members: members?.map((_, j) => ({ auc: b.auc[j + 1], ensembleMinus: b.firstMinus[j].interval,
        ensembleBetter: b.firstMinus[j].firstBetter, ensembleTied: b.firstMinus[j].tied })),
    };
  }
  return { ...run, metrics, positiveClass: o.positiveClass, members, intervals };
}
