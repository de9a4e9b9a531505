/**
 * The `seg` ROI strategy: a YOLO-seg package segmenter (YOLOv5-seg
 * `[B, N, 5+C+32]` or YOLOv8-seg `[B, 4+C+32, N]` plus prototypes
 * `[B, 32, mh, mw]`). The best detection's mask, taken straight to image
 * pixels in native code, gives the package outline that the shared chain refines.
 */
import { DieInspectError, native } from '../../core/errors';
import type { ImageInput } from '../../runtime/images';
import { heightWidth, metadataImgsz } from '../../runtime/metadata';
import { shippedModel } from '../../runtime/models';
import type { NativeItem, NativeSegmentImage } from '../../runtime/binding';
import { segmentOptions } from '../../runtime/native-options';
import { captureProposals, maskSearchRadius, ProposalOutcome, Roi, RoiResult, SegRoiOptions } from './base';
import { ModelSession, SessionOptions } from '../../runtime/session';


/** The segmenter's session; only this module calls its native `segment`. */
class SegModel extends ModelSession {
  static async load(model: string | Uint8Array, options: SessionOptions): Promise<SegModel> {
    return new SegModel(await ModelSession.open(model, options));
  }

  async segment(images: ImageInput[], o: SegRoiOptions):
    Promise<{ segs: Array<NativeItem<NativeSegmentImage>>; inputSize: [number, number] }> {
    const h = this.live();
    const [height, width] = heightWidth(o.imgsz ?? metadataImgsz(this.info.metadata), 640);
    const call = { height, width, defaultMaxBatch: this.defaultMaxBatch };
    const segs = await native(() => h.segment(this.nativeImages(images), segmentOptions(o, call)));
    return { segs, inputSize: [height, width] };
  }
}

export class SegRoi extends Roi {
  readonly strategy = 'seg' as const;
  private readonly model: SegModel;

  private constructor(options: SegRoiOptions, model: SegModel) {
    super(options);
    this.model = model;
  }

  static async create(options: SegRoiOptions): Promise<SegRoi> {
    const model = options.model ?? shippedModel('package-segmenter', 'seg');
    if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
      throw new DieInspectError('ERR_INVALID_ARG', "seg: option 'model' must be a path or a Buffer");
    }
    return new SegRoi(options, await SegModel.load(model, options));
  }

  get session(): ModelSession {
    return this.model;
  }

  async capture(images: ImageInput | ImageInput[]): Promise<RoiResult[]> {
    const list = Array.isArray(images) ? images : [images];
    const { segs, inputSize } = await this.model.segment(list, this.options as SegRoiOptions);
    const outcomes: ProposalOutcome[] = segs.map((s) => {
      if (s.error) return { error: new DieInspectError(s.error.code, s.error.message) };
      if (!s.box || !s.quad) return null;  // no detection, or its mask came out empty
      // Prototypes sit at a quarter of the input.
      const cell = 4 * Math.max(s.width / inputSize[1], s.height / inputSize[0]);
      return {
        proposal: {
          box: s.box, score: s.score, classId: s.classId, maskArea: s.maskArea, maskQuad: s.quad, searchRadius: maskSearchRadius(cell),
        },
      };
    });
    return captureProposals(list, this.options, outcomes);
  }

  close(): void {
    this.model.close();
  }
}
