/**
 * The model pass of `dataset check`: a classifier (one, or an ensemble manifest) or a
 * detector over every image, and the images where it confidently disagrees with the label
 * (the rules are in docs/evaluation.md#checking-a-dataset):
 *   - a classifier gives probability >= `confident` to a class other than the labelled one
 *     (binary: labelled good, P(defect) >= confident, or the other way round); on box labels
 *     an image with a box is labelled defect, one without good;
 *   - a detector finds a box with score >= confident where no box is labelled (IoU < 0.1
 *     with each), or finds nothing at a labelled box (no detection of any class with IoU
 *     >= 0.1 scores 1 - confident or more), or is sure (>= confident, IoU >= 0.5) it is of
 *     another class while its own scores under 1 - confident there.
 */
import { DieInspectError } from '../core/errors';
import type { RawImage } from '../runtime/images';
import { modelTask } from '../runtime/metadata';
import { listModels } from '../runtime/models';
import type { ProviderName } from '../runtime/session';
import { Classifier } from '../stages/classifier';
import { Detector } from '../stages/detector';
import { ClassifierEnsemble } from '../stages/ensemble';
import { manifestExists } from '../stages/ensemble-manifest';
import type { CheckModelSpec, DatasetSplit } from './dataset-types';
import { iou } from './matching';
import { mapClasses } from './run-detector';
import type { Box } from './types';

/** Class names read as "no defect": the good side of a binary classifier, and the defect-free count of a split. */
const GOOD = /^(good|ok|pass|passed|normal|clean|negative|defect[-_ ]?free|no[-_ ]?defects?|non[-_ ]?defective)$/i;
export const isGoodClass = (name: string): boolean => GOOD.test(name);

/** A box a label gives, in pixels, with where it was written. */
export interface LabelBox {
  box: Box;
  classId: number;
  line?: number;
  annotation?: string;
}

/** What the model says against one label. */
export interface Disagreement {
  score: number;
  says: string;
  box?: Box;
  line?: number;
  annotation?: string;
}

/** The label of one image as the model pass sees it: boxes (YOLO, COCO) or a class name (class folders, CSV). */
export type ModelLabel = { boxes: LabelBox[] } | { className: string };

/** A model loaded for the check, with the rules that compare it with labels. */
export interface CheckModel {
  name: string;
  task: 'classify' | 'detect';
  /** One result per image, in order: its disagreements (none: agrees), or the error the model gave on it. */
  compare(images: RawImage[], labels: ModelLabel[], split: DatasetSplit, classNames?: string[]): Promise<Array<Disagreement[] | Error>>;
  /** Closes what was loaded here. */
  close(): void;
}

const fmt = (v: number) => v.toFixed(3);
const boxText = (b: Box) => `[${b.map((v) => Math.round(v)).join(', ')}]`;

/** A manifest: a .json path, or a name in models/ensembles/ that no installed model has. */
function isManifest(spec: string): boolean {
  if (/\.json$/i.test(spec)) return true;
  return !/[\\/]|\.onnx$/i.test(spec) && manifestExists(spec) && !listModels().some((c) => c.name === spec);
}

/**
 * Loads `spec` (a classifier or detector by name or path, an ensemble manifest by name or
 * path, or one already loaded) and checks it can judge these splits' labels.
 */
export async function loadCheckModel(spec: CheckModelSpec, splits: DatasetSplit[],
  o: { providers?: ProviderName[]; confident: number; classes?: string[] }): Promise<CheckModel> {
  let model: Classifier | ClassifierEnsemble | Detector;
  let name: string;
  if (typeof spec === 'string') {
    name = spec;
    if (isManifest(spec)) model = await ClassifierEnsemble.create(spec, { providers: o.providers });
    else {
      const c = await Classifier.create(spec, { providers: o.providers });
      const task = modelTask(c.info);
      if (task === 'classify') model = c;
      else {
        c.close();
        if (task !== 'detect') {
          const what = task === 'segment' ? 'a segmenter' : 'no model this can tell the task of';
          throw new DieInspectError('ERR_INVALID_ARG', `${spec} is ${what}; dataset check takes a classifier, `
            + 'a classifier ensemble manifest or a detector');
        }
        model = await Detector.create(spec, { providers: o.providers });
      }
    }
  } else {
    model = spec;
    name = spec instanceof ClassifierEnsemble ? spec.manifestFile ?? 'the ensemble' : 'the model';
  }
  const loadedHere = typeof spec === 'string';
  try {
    const check = model instanceof Detector ? detectorCheck(model, name, splits, o.confident)
      : classifierCheck(model, name, splits, o.confident, o.classes ?? []);
    return { ...check, close: () => { if (loadedHere) model.close(); } };
  } catch (err) {
    if (loadedHere) model.close();
    throw err;
  }
}

/** `classes`: the class-folder and CSV classes the check knows, each of which must be one of the model's columns. */
function classifierCheck(model: Classifier | ClassifierEnsemble, name: string, splits: DatasetSplit[], confident: number,
  classes: string[]): Omit<CheckModel, 'close'> {
  const clf = model instanceof ClassifierEnsemble ? model.members[0] : model;
  const shape = clf.info.outputs[0]?.shape[1];
  const k = clf.classNames?.length ?? (shape === 1 ? 2 : typeof shape === 'number' ? shape : 2);
  const names = clf.classNames ?? Array.from({ length: k }, (_, i) => String(i));
  // the good column: the one a manifest does not call positive, else a class named good, else the first
  const positive = model instanceof ClassifierEnsemble ? model.combination.positive : undefined;
  const good = k === 2 && positive !== undefined ? 1 - positive : Math.max(0, names.findIndex(isGoodClass));
  const defect = k === 2 ? 1 - good : -1;
  const columnOf = (cls: string): number => {
    if (names.includes(cls)) return names.indexOf(cls);
    if (/^\d+$/.test(cls) && Number(cls) < k) return Number(cls);
    if (k === 2) return isGoodClass(cls) ? good : defect;
    throw new DieInspectError('ERR_CONFIG', `class '${cls}' is none of ${name}'s classes (${names.join(', ')})`);
  };
  for (const s of splits) {
    if ((s.format === 'yolo' || s.format === 'coco' || !s.format) && k !== 2) {
      throw new DieInspectError('ERR_INVALID_ARG', `${name} has ${k} classes; on box labels (split ${s.name}) a classifier must tell `
        + 'good from defect (two classes)');
    }
  }
  for (const c of classes) columnOf(c);
  return {
    name, task: 'classify',
    async compare(images, labels) {
      const results = await model.classify(images);
      return results.map((r, i) => {
        if (r.error || !r.probabilities.length) return r.error ?? new DieInspectError('ERR_INFERENCE', 'no member classified it');
        const l = labels[i];
        const column = 'boxes' in l ? (l.boxes.length ? defect : good) : columnOf(l.className);
        const p = r.probabilities;
        let best = -1;
        for (let c = 0; c < p.length; c++) if (c !== column && (best < 0 || p[c] > p[best])) best = c;
        if (best < 0 || p[best] < confident) return [];
        const n = 'boxes' in l ? l.boxes.length : 0;
        const labelled = 'boxes' in l ? (n ? `${n} box${n > 1 ? 'es' : ''}` : 'no box') : l.className;
        return [{ score: p[best], says: `${names[best]} ${fmt(p[best])} (labelled ${labelled})` }];
      });
    },
  };
}

const THERE = 0.1;
const SAME_OBJECT = 0.5;

function detectorCheck(det: Detector, name: string, splits: DatasetSplit[], confident: number): Omit<CheckModel, 'close'> {
  const cls = splits.find((s) => s.format === 'folders' || s.format === 'csv');
  if (cls) {
    throw new DieInspectError('ERR_INVALID_ARG', `${name} is a detector; it checks box labels (YOLO, COCO), `
      + `and split ${cls.name} is ${cls.format === 'csv' ? 'a CSV' : 'class folders'}: give a classifier`);
  }
  if (det.needsReference) throw new DieInspectError('ERR_INVALID_ARG', `${name} compares images with references; dataset check gives none`);
  return {
    name, task: 'detect',
    async compare(images, labels, split, classNames) {
      const { names, toData } = mapClasses(split.classNames ?? classNames, det.classNames);
      const results = await det.detect(images, { conf: 0.001, iou: 0.6, maxDet: 300 });
      return results.map((r, i) => {
        if (r.error) return r.error;
        const dets = r.detections.map((d) => ({ box: d.box, score: d.score, classId: toData(d.classId) }));
        const l = labels[i];
        return detectorDisagreements('boxes' in l ? l.boxes : [], dets, confident, names);
      });
    },
  };
}

/** The detector rules (the module comment) on one image: its labelled boxes against the detections (dataset class ids). */
export function detectorDisagreements(labels: LabelBox[], dets: Array<{ box: Box; score: number; classId: number }>, confident: number,
  names: string[]): Disagreement[] {
  const out: Disagreement[] = [];
  const nameOf = (c: number) => names[c] ?? String(c);
  const unlabelled = dets.filter((d) => d.score >= confident && labels.every((g) => iou(d.box, g.box) < THERE))
    .sort((a, b) => b.score - a.score);
  if (unlabelled.length) {
    const d = unlabelled[0];
    const more = unlabelled.length > 1 ? ` (and ${unlabelled.length - 1} more)` : '';
    out.push({ score: d.score, box: d.box,
      says: `${nameOf(d.classId)} ${fmt(d.score)} at ${boxText(d.box)}, where no box is labelled${more}` });
  }
  for (const g of labels) {
    const where = { box: g.box, line: g.line, annotation: g.annotation };
    const there = dets.filter((d) => iou(d.box, g.box) >= THERE);
    const best = Math.max(0, ...there.map((d) => d.score));
    if (best < 1 - confident) {
      out.push({ ...where, score: 1 - best, says: `nothing at the labelled ${nameOf(g.classId)} ${boxText(g.box)} `
        + `(best detection there ${fmt(best)})` });
      continue;
    }
    const own = Math.max(0, ...there.filter((d) => d.classId === g.classId).map((d) => d.score));
    const other = there.filter((d) => d.classId !== g.classId && d.score >= confident && iou(d.box, g.box) >= SAME_OBJECT)
      .sort((a, b) => b.score - a.score)[0];
    if (other && own < 1 - confident) {
      out.push({ ...where, score: other.score, says: `${nameOf(other.classId)} ${fmt(other.score)} at the labelled `
        + `${nameOf(g.classId)} ${boxText(g.box)} (${nameOf(g.classId)} there ${fmt(own)})` });
    }
  }
  return out;
}
