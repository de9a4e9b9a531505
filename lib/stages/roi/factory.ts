/**
 * `Roi.create`: picks the strategy. The only module that knows them all, so the
 * base (./base.ts) imports none; importing this module registers it with the base.
 */
import { DieInspectError } from '../../core/errors';
import { Roi, RoiOptions, setRoiFactory } from './base';
import { ContourRoi } from './contour';
import { SamRoi } from './sam';
import { SegRoi } from './seg';

export async function createRoi(options: RoiOptions = {}): Promise<Roi> {
  // Judged in JavaScript (not by the addon): a NaN would flag no die as rotated.
  const t = options.dieTolerance;
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && Number.isFinite(t))) {
    throw new DieInspectError('ERR_INVALID_ARG', `dieTolerance must be a non-negative number of degrees, got ${String(t)}`);
  }
  if (options.strategy === undefined || options.strategy === 'contour') return new ContourRoi(options);
  if (options.strategy === 'seg') return SegRoi.create(options);
  if (options.strategy === 'sam') return SamRoi.create(options);
  const strategy = String((options as { strategy?: unknown }).strategy);
  throw new DieInspectError('ERR_INVALID_ARG', `unknown ROI strategy '${strategy}' (contour, seg, sam)`);
}

setRoiFactory(createRoi);

export { Roi };
