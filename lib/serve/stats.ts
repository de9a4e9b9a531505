/** What the line view charts, over the parts a filter picks: counts, yield and throughput over time, Pareto, angles, reasons. */
import type { PartRecord } from '../pipeline/records/types';

export interface LineStats {
  parts: number;
  /** By effective verdict (a review's verdict counts). */
  verdicts: Record<string, number>;
  /** pass / (pass + fail); null with neither. */
  yield: number | null;
  /** Parts a minute over the last `windowMinutes` of inspection time (to the newest part). */
  throughput: { perMinute: number; windowMinutes: number };
  /** Equal time buckets from the first part to the last: parts in each, and its yield. */
  overTime: Array<{ start: string; parts: number; pass: number; fail: number; yield: number | null }>;
  /** Failed parts by defect class (reviewed boxes, else the machine's detections), most first. */
  pareto: Array<{ label: string; parts: number }>;
  /** Die angles (degrees) in bins of `angleBin` from `angleFrom`. */
  angles: { from: number; bin: number; counts: number[] };
  /** Failed parts by reason, most first. */
  reasons: Array<{ reason: string; parts: number }>;
}

const BUCKETS = 24;
const WINDOW_MINUTES = 5;
const ANGLE_BINS = 20;

const countsOf = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

/** A reason's kind, without its numbers: "die_crack 0.97 (threshold 0.5)" counts as die_crack. */
const reasonKind = (r: string) => r.split(/[:(]|\s[-\d]/)[0].trim() || r;

export function lineStats(parts: PartRecord[]): LineStats {
  const verdicts: Record<string, number> = {};
  const pareto = new Map<string, number>(), reasons = new Map<string, number>();
  const angles: number[] = [];
  for (const p of parts) {
    verdicts[p.effectiveVerdict] = (verdicts[p.effectiveVerdict] ?? 0) + 1;
    if (p.dieAngle !== null) angles.push(p.dieAngle);
    if (p.effectiveVerdict !== 'fail') continue;
    const labels = p.review ? (p.review.boxes ?? []).map((b) => b.label) : p.detections.map((d) => d.label);
    for (const l of new Set(labels)) bump(pareto, l);
    if (!p.review) for (const r of new Set(p.reasons.map(reasonKind))) bump(reasons, r);
    else if (p.review.decision !== 'confirm') bump(reasons, `reviewed: ${p.review.decision}`);
  }
  const pass = verdicts.pass ?? 0, fail = verdicts.fail ?? 0;
  const times = parts.map((p) => Date.parse(p.inspectedAt)).filter(Number.isFinite);
  const first = times.length ? Math.min(...times) : 0, last = times.length ? Math.max(...times) : 0;
  const span = Math.max(1000, last - first + 1);
  const overTime = Array.from({ length: times.length ? BUCKETS : 0 }, (_, i) => ({
    start: new Date(first + (span * i) / BUCKETS).toISOString(), parts: 0, pass: 0, fail: 0, yield: null as number | null,
  }));
  parts.forEach((p) => {
    const t = Date.parse(p.inspectedAt);
    if (!Number.isFinite(t)) return;
    const b = overTime[Math.min(BUCKETS - 1, Math.floor(((t - first) / span) * BUCKETS))];
    b.parts++;
    if (p.effectiveVerdict === 'pass') b.pass++;
    if (p.effectiveVerdict === 'fail') b.fail++;
  });
  for (const b of overTime) b.yield = b.pass + b.fail ? b.pass / (b.pass + b.fail) : null;
  const recent = times.filter((t) => t > last - WINDOW_MINUTES * 60_000).length;
  // Symmetric bins around 0 wide enough for the widest angle seen (at least +-2 degrees).
  const reach = Math.max(2, ...angles.map((a) => Math.ceil(Math.abs(a))));
  const bin = (2 * reach) / ANGLE_BINS;
  const angleCounts = new Array<number>(ANGLE_BINS).fill(0);
  for (const a of angles) angleCounts[Math.min(ANGLE_BINS - 1, Math.floor((a + reach) / bin))]++;
  return {
    parts: parts.length, verdicts, yield: pass + fail ? pass / (pass + fail) : null,
    throughput: { perMinute: Math.min(recent, parts.length) / Math.min(WINDOW_MINUTES, Math.max(span / 60_000, 1 / 60)),
      windowMinutes: WINDOW_MINUTES },
    overTime, pareto: countsOf(pareto).map(([label, n]) => ({ label, parts: n })),
    angles: { from: -reach, bin, counts: angleCounts },
    reasons: countsOf(reasons).map(([reason, n]) => ({ reason, parts: n })),
  };
}
