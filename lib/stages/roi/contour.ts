/** The `contour` ROI strategy: the classical chain (native/roi/contour.cc), no model. */
import type { ImageInput } from '../../runtime/images';
import { captureNative, ContourRoiOptions, Roi, RoiResult } from './base';

export class ContourRoi extends Roi {
  readonly strategy = 'contour' as const;
  constructor(options: ContourRoiOptions) {
    super(options);
  }
  capture(images: ImageInput | ImageInput[]): Promise<RoiResult[]> {
    return captureNative(Array.isArray(images) ? images : [images], this.options);
  }
}
