/**
 * The `sam` ROI strategy: a YOLO detector's best package box prompts a
 * segment-anything encoder/decoder pair (official ONNX export signature; ViT-B
 * and MobileSAM exports alike). Preprocessing and both model runs happen in
 * native code; the chosen mask's outline goes through the shared chain.
 */
import { Detector, DetectorOptions } from '../detector';
import { DieInspectError, native } from '../../core/errors';
import { ImageInput, toNativeImages } from '../../runtime/images';
import { shippedModel } from '../../runtime/models';
import { loadNative } from '../../runtime/binding';
import { samOptions } from '../../runtime/native-options';
import { captureProposals, maskSearchRadius, ProposalOutcome, Roi, RoiResult, SamRoiOptions } from './base';
import { ModelSession, SessionOptions } from '../../runtime/session';


/** A SAM half; the native job takes its handle. */
class SamModel extends ModelSession {
  static async load(model: string | Uint8Array, options: SessionOptions): Promise<SamModel> {
    return new SamModel(await ModelSession.open(model, options));
  }
  get nativeHandle() {
    return this.live();
  }
}

function modelArg(v: unknown, name: string): string | Uint8Array {
  if (typeof v !== 'string' && !(v instanceof Uint8Array)) {
    throw new DieInspectError('ERR_INVALID_ARG', `sam: option '${name}' must be a path or a Buffer`);
  }
  return v;
}

export class SamRoi extends Roi {
  readonly strategy = 'sam' as const;

  private constructor(options: SamRoiOptions, readonly detector: Detector, private readonly encoder: SamModel,
    private readonly decoder: SamModel) {
    super(options);
  }

  static async create(options: SamRoiOptions): Promise<SamRoi> {
    const det = modelArg(options.detector ?? shippedModel('package-detector', 'sam'), 'detector');
    const enc = modelArg(options.encoder, 'encoder');
    const dec = modelArg(options.decoder, 'decoder');
    // Only the session fields reach the detector, so ROI options cannot shadow detector ones.
    const {
      providers, provider, deviceId, fp16, trtEngineCacheDir, trtTimingCacheDir, trtBatch, intraOpThreads, interOpThreads,
    } = options;
    const session: SessionOptions = {
      providers, provider, deviceId, fp16, trtEngineCacheDir, trtTimingCacheDir, trtBatch, intraOpThreads, interOpThreads,
    };
    const loaded = await Promise.allSettled([
      Detector.create(det, {
        ...options.detectorOptions, ...session, conf: options.conf ?? options.detectorOptions?.conf,
        limitInputPixels: options.limitInputPixels ?? options.detectorOptions?.limitInputPixels,
        failOn: options.failOn ?? options.detectorOptions?.failOn,
        autoOrient: options.autoOrient ?? options.detectorOptions?.autoOrient,
      }),
      SamModel.load(enc, session),
      SamModel.load(dec, session),
    ]);
    const failed = loaded.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      // Free what did load before reporting the failure.
      for (const r of loaded) if (r.status === 'fulfilled') r.value.close();
      throw failed.reason;
    }
    const [d, e, c] = loaded.map((r) => (r as PromiseFulfilledResult<ModelSession>).value);
    return new SamRoi(options, d as Detector, e as SamModel, c as SamModel);
  }

  async capture(images: ImageInput | ImageInput[]): Promise<RoiResult[]> {
    const o = this.options as SamRoiOptions;
    const list = Array.isArray(images) ? images : [images];
    const dets = await this.detector.detect(list);
    const best = dets.map((r) => {
      if (r.error) return null;
      const pool = o.classId === undefined ? r.detections : r.detections.filter((d) => d.classId === o.classId);
      return pool.reduce<typeof pool[number] | null>((a, d) => (a && a.score >= d.score ? a : d), null);
    });
    const enc = this.encoder.nativeHandle, dec = this.decoder.nativeHandle;
    const sams = await native(() => loadNative().samSegment(enc, dec, toNativeImages(list, false),
      best.map((d) => (d ? d.box : null)), samOptions(o)));
    const outcomes: ProposalOutcome[] = list.map((_, i) => {
      const det = dets[i], d = best[i], s = sams[i];
      if (det.error) return { error: det.error };
      if (s.error) return { error: new DieInspectError(s.error.code, s.error.message) };
      if (!d || s.maskIndex === undefined || !s.quad) return null;  // no package box, or SAM's mask came out empty
      return {
        proposal: {
          box: d.box, score: d.score, classId: d.classId, maskArea: s.maskArea, maskQuad: s.quad,
          iouPrediction: s.iouPrediction,
          // SAM's masks come from 256x256 logits over the 1024-long-side input.
          searchRadius: maskSearchRadius(4 * Math.max(s.width, s.height) / 1024),
        },
      };
    });
    return captureProposals(list, o, outcomes);
  }

  close(): void {
    this.detector.close();
    this.encoder.close();
    this.decoder.close();
  }
}
