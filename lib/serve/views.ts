/** A recorded part as the station's JSON shows it: a summary for the line view, the whole part for its page. */
import { machineDefects } from '../pipeline/records/review-rules';
import type { PartRecord } from '../pipeline/records/types';

export interface PartSummary {
  id: number;
  inspectedAt: string;
  imageName: string;
  lot: string | null;
  station: string | null;
  camera: string | null;
  partId: string | null;
  verdict: string;
  effectiveVerdict: string;
  reviewed: boolean;
  reasons: string[];
  classes: string[];
  dieAngle: number | null;
  defectProbability: number | null;
  thumb: string;
}

export interface PartDetail extends PartSummary {
  part: PartRecord;
  /** Per detection, in order: at or above its class threshold (a defect the machine failed the part on). */
  defects: boolean[];
  images: { annotated: string; crop: string; thumb: string };
}

const baseName = (p: string) => p.split(/[\\/]/).pop() ?? p;

export function partSummary(p: PartRecord): PartSummary {
  const labels = p.review ? (p.review.boxes ?? []).map((b) => b.label) : p.detections.map((d) => d.label);
  return {
    id: p.id, inspectedAt: p.inspectedAt, imageName: p.imagePath ? baseName(p.imagePath) : `part ${p.id}`, lot: p.lot,
    station: p.station, camera: p.camera, partId: p.partId, verdict: p.verdict, effectiveVerdict: p.effectiveVerdict,
    reviewed: p.review !== null, reasons: p.reasons, classes: [...new Set(labels)], dieAngle: p.dieAngle,
    defectProbability: p.classification?.defectProbability ?? null, thumb: `/images/${p.id}/thumb.jpg`,
  };
}

export function partDetail(p: PartRecord): PartDetail {
  const defects = new Set(machineDefects(p).map((d) => d.box.join(',')));
  return {
    ...partSummary(p), part: p, defects: p.detections.map((d) => defects.has(d.cropBox.join(','))),
    images: { annotated: `/images/${p.id}/annotated.jpg`, crop: `/images/${p.id}/crop.jpg`, thumb: `/images/${p.id}/thumb.jpg` },
  };
}
