/**
 * fitEnsemble(): runs classifiers over a validation split, compares the ways of combining
 * them (chooseEnsemble) and returns the manifest of the best, as `die-inspect ensemble` does.
 */
import * as path from 'path';
import { performance } from 'perf_hooks';
import { DieInspectError } from '../core/errors';
import { fileSha256 } from '../runtime/hash';
import { resolveModel } from '../runtime/models';
import { Classifier, type ClassifierOptions } from '../stages/classifier';
import type { Combination } from '../stages/combine';
import { EnsembleManifest, MANIFEST_FORMAT, ManifestMember } from '../stages/ensemble-manifest';
import type { ClassificationDataset } from './datasets';
import { CandidateFigures, chooseEnsemble, EnsembleChoice, EnsembleChoiceOptions } from './ensemble-choice';
import { classifyDataset, positiveClassOf } from './run-classifier';
import type { FailedImage, ProgressCallback } from './types';

/** With `budget` (milliseconds an image) and no `costs`, each member's cost is measured here (`memberCosts`). */
export interface EnsembleFitOptions extends EnsembleChoiceOptions {
  classifier?: ClassifierOptions;
  /** The positive class, by name or id. Default 1. */
  positive?: string | number;
  /** Where the manifest will be written: member paths are stored relative to its folder. */
  manifestFile?: string;
  name?: string;
  /** Words on the validation data, kept in the manifest's `fit`. */
  dataLabel?: string;
  onProgress?: ProgressCallback;
}

export interface EnsembleFit {
  manifest: EnsembleManifest;
  choice: EnsembleChoice;
  /** What the choice was made from: each member's positive-class probabilities (`scores[m][i]`) and the 0/1 labels. */
  scores: number[][];
  labels: number[];
  failed: FailedImage[];
}

/**
 * `models`: names or paths of two-class classifiers. The manifest records each member by
 * its name (or its path relative to `manifestFile`) and its SHA-256; members the chosen
 * combination gives no weight are left out (its `fit` still lists every one's figures).
 */
export async function fitEnsemble(models: string[], validation: ClassificationDataset, o: EnsembleFitOptions = {}): Promise<EnsembleFit> {
  if (!models.length) throw new DieInspectError('ERR_INVALID_ARG', 'fitEnsemble needs at least one classifier');
  const run = await classifyDataset(models, validation, { classifier: o.classifier, onProgress: o.onProgress });
  const positive = positiveClassOf(run, o.positive ?? 1);
  if (run.probabilities[0].length !== 2) {
    throw new DieInspectError('ERR_INVALID_ARG',
      `fitEnsemble: two-class classifiers only, these have ${run.probabilities[0].length} classes`);
  }
  const labels = run.labels.map((l) => (l === positive ? 1 : 0));
  const scores = run.memberProbabilities.map((ps) => ps.map((p) => p[positive]));
  const costs = o.budget !== undefined && o.costs === undefined
    ? await memberCosts(models, validation.samples.slice(0, 32).map((x) => x.path), o.classifier) : o.costs;
  const choice = chooseEnsemble(scores, labels, { ...o, costs });
  const dir = path.dirname(path.resolve(o.manifestFile ?? 'ensemble.json'));
  const c: Combination = choice.chosen.combination;
  const stored = (m: string) => (resolveModel(m) === m ? path.relative(dir, path.resolve(m)).split(path.sep).join('/') : m);
  // a member of weight 0 is left out of the manifest: it would run for nothing
  const used = models.map((m, i) => ({ m, i })).filter(({ i }) => c.weights[i] > 0);
  const members: ManifestMember[] = await Promise.all(used.map(async ({ m, i }) => ({
    model: stored(m), weight: round(c.weights[i]), sha256: await fileSha256(resolveModel(m)), ...(c.ranks ? { ranks: c.ranks[i] } : {}),
  })));
  const classes = run.classNames ?? ['0', '1'];
  const figures = (f: CandidateFigures) => ({ logLoss: round(f.logLoss), auc: round(f.auc), ece: round(f.ece) });
  const manifest: EnsembleManifest = {
    format: MANIFEST_FORMAT, version: 1, ...(o.name ? { name: o.name } : {}),
    classes, positive: classes[positive],
    rule: c.rule, members, ...(c.calibration ? { calibration: c.calibration } : {}),
    fit: {
      data: o.dataLabel ?? 'validation', samples: choice.samples, folds: choice.folds, seed: choice.seed,
      chosen: choice.chosen.candidate,
      ...(costs ? { costsMs: costs.map(round), budgetMs: o.budget } : {}),
      candidates: choice.candidates.map((x) => ({
        candidate: x.candidate, ...(x.members.length < models.length ? { members: x.members.map((j) => stored(models[j])) } : {}),
        crossValidated: figures(x.crossValidated),
      })),
      members: choice.members.map((f, i) => ({ model: stored(models[i]), crossValidated: figures(f) })),
    },
  };
  return { manifest, choice, scores, labels, failed: run.failed };
}

/**
 * Each member's milliseconds an image, alone: a call on the first 4 images to warm up,
 * then the (up to 32) images in calls of the member's own batch size.
 */
export async function memberCosts(models: string[], images: string[], options: ClassifierOptions = {}): Promise<number[]> {
  const costs: number[] = [];
  for (const m of models) {
    const c = await Classifier.create(m, options);
    try {
      await c.classify(images.slice(0, 4));
      const t0 = performance.now();
      await c.classify(images);
      costs.push((performance.now() - t0) / images.length);
    } finally {
      c.close();
    }
  }
  return costs;
}

const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v);
