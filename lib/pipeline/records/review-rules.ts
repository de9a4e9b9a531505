/**
 * What a review means for a part, whatever store keeps it: the verdict it gives, and
 * the part's defects after it (the boxes an export labels the crop with).
 */
import { DieInspectError } from '../../core/errors';
import type { LabelledBox, PartRecord, ReviewInput } from './types';

const DECISIONS = ['confirm', 'overturn', 'relabel'];

const bad = (partId: number, what: string) => new DieInspectError('ERR_INVALID_ARG', `review of part ${partId}: ${what}`);

function checkBoxes(partId: number, boxes: unknown): LabelledBox[] {
  if (!Array.isArray(boxes)) throw bad(partId, 'boxes must be a list of { label, box: [x1, y1, x2, y2] }');
  return boxes.map((b, i) => {
    const box = (b as LabelledBox)?.box;
    const label = (b as LabelledBox)?.label;
    if (typeof label !== 'string' || !label) throw bad(partId, `boxes[${i}] needs a label`);
    if (!Array.isArray(box) || box.length !== 4 || box.some((v) => typeof v !== 'number' || !Number.isFinite(v))
      || !(box[2] > box[0] && box[3] > box[1])) {
      throw bad(partId, `boxes[${i}].box must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1, got ${JSON.stringify(box)}`);
    }
    return { label, box: [box[0], box[1], box[2], box[3]] };
  });
}

/** The machine's defects: its detections at or above their class thresholds (default 0.5, as the Inspector's). */
export function machineDefects(part: PartRecord, classThresholds: Record<string, number> = {}): LabelledBox[] {
  return part.detections.filter((d) => d.score >= (classThresholds[d.label] ?? 0.5)).map((d) => ({ label: d.label, box: d.cropBox }));
}

/**
 * A review checked against its part: the verdict it gives and the defects after it
 * (null: a defect whose boxes the reviewer did not give). ERR_INVALID_ARG for a review
 * that does not fit the part.
 */
export function resolveReview(part: PartRecord, r: ReviewInput, classThresholds: Record<string, number> = {})
  : { verdict: 'pass' | 'fail'; boxes: LabelledBox[] | null } {
  if (!r || typeof r !== 'object') throw bad(part.id, 'expected { reviewer, decision, ... }');
  if (typeof r.reviewer !== 'string' || !r.reviewer.trim()) throw bad(part.id, 'reviewer is required');
  if (!DECISIONS.includes(r.decision)) throw bad(part.id, `decision must be confirm, overturn or relabel, got ${String(r.decision)}`);
  if (r.verdict !== undefined && r.verdict !== 'pass' && r.verdict !== 'fail') {
    throw bad(part.id, `verdict must be pass or fail, got ${String(r.verdict)}`);
  }
  if (r.labels !== undefined && !(Array.isArray(r.labels) && r.labels.every((l) => typeof l === 'string' && l))) {
    throw bad(part.id, 'labels must be a list of class names');
  }
  if (r.comment !== undefined && typeof r.comment !== 'string') throw bad(part.id, 'comment must be text');
  const given = r.boxes === undefined ? undefined : checkBoxes(part.id, r.boxes);
  const machine = part.verdict;
  let verdict: 'pass' | 'fail';
  if (machine === 'pass' || machine === 'fail') {
    const flipped = machine === 'pass' ? 'fail' : 'pass';
    verdict = r.decision === 'confirm' ? machine : r.decision === 'overturn' ? flipped : 'fail';
    if (r.verdict !== undefined && r.verdict !== verdict) {
      throw bad(part.id, `${r.decision} of a ${machine} part gives ${verdict}, not ${r.verdict}`);
    }
  } else {
    if (r.verdict === undefined) throw bad(part.id, `the machine's verdict was ${machine}: say the reviewed verdict (pass or fail)`);
    verdict = r.verdict;
  }
  if (verdict === 'pass') {
    if (given?.length) throw bad(part.id, 'a part reviewed as a pass has no defect boxes');
    return { verdict, boxes: [] };
  }
  if (given) {
    if (r.labels !== undefined) throw bad(part.id, 'give boxes (each with its label) or labels, not both');
    return { verdict, boxes: given };
  }
  const defects = machineDefects(part, classThresholds);
  if (r.labels !== undefined) {
    if (r.labels.length !== defects.length) {
      throw bad(part.id, `labels rename the machine's ${defects.length} defect detection(s) in order: got ${r.labels.length} label(s)`);
    }
    return { verdict, boxes: defects.map((d, i) => ({ label: r.labels![i], box: d.box })) };
  }
  if (r.decision === 'relabel') throw bad(part.id, 'relabel needs boxes or labels');
  // confirm of a fail: the machine's defects, if it located any (a part failed on its die angle or
  // the classifiers alone has none); a pass overturned without boxes: a defect not located
  return { verdict, boxes: machine === 'fail' && defects.length ? defects : null };
}
