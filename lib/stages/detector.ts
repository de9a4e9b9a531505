/** YOLO object detection: images in, boxes in original-image pixels out. */
import { DieInspectError, native } from '../core/errors';
import type { ImageInput, InputLimits } from '../runtime/images';
import type { PreprocessOptions } from '../runtime/binding';
import { heightWidth, Imgsz, metadataImgsz, parseClassNames } from '../runtime/metadata';
import type { DetectParams, NativeSession, Registration, YoloLayout } from '../runtime/binding';
import { detectOptions } from '../runtime/native-options';
import { ModelSession, SessionOptions } from '../runtime/session';
import { Explanation, explainParams, ExplainOptions, toExplanations } from './saliency';

export type { DetectParams, YoloLayout };

export interface DetectorOptions extends SessionOptions, DetectParams, InputLimits {
  /** Output layout; 'auto' reads it from the output shape and class count. */
  layout?: YoloLayout;
  /** Class names; default: the model's `names` metadata, else "0", "1", ... */
  classNames?: string[];
  /** Input size for models with dynamic height/width (rounded up to `stride`). Default: metadata `imgsz`, else 640. */
  imgsz?: Imgsz;
  stride?: number;
  /** Images per model call for dynamic-batch models. Default 16, 2 on the CPU (`defaultMaxBatch`). */
  maxBatch?: number;
  /** Which model output holds the detections. Default 0. */
  outputIndex?: number;
}

export interface Detection {
  /** [x1, y1, x2, y2] in original-image pixels, clipped to the image. */
  box: [number, number, number, number];
  score: number;
  classId: number;
  label: string;
}

export interface DetectionResult {
  width: number;
  height: number;
  detections: Detection[];
  /** For a reference pair given `align: true`: the motion that registered the reference. */
  registration?: Registration;
  /** With failOn 'error': what the decoder let pass in this damaged image (its first warning). */
  warning?: string;
  /** Set when this image failed (unreadable, NaN output, ...); the others are unaffected. */
  error?: DieInspectError;
}

export class Detector extends ModelSession {
  readonly classNames: string[] | undefined;
  private options: DetectorOptions;
  private resolvedLayout: string | undefined;

  private constructor(handle: NativeSession, options: DetectorOptions) {
    super(handle);
    this.options = options;
    this.classNames = options.classNames ?? parseClassNames(this.info.metadata.names);
    const imgsz = metadataImgsz(this.info.metadata);
    if (this.options.imgsz === undefined && imgsz !== undefined) this.options = { ...options, imgsz };
  }

  /** Loads a YOLO ONNX model (YOLOv5/v7 `[B, N, 5+C]` or YOLOv8/11 `[B, 4+C, N]`). */
  static async create(model: string | Uint8Array, options: DetectorOptions = {}): Promise<Detector> {
    return new Detector(await ModelSession.open(model, options), options);
  }

  /** The layout found in the last detect() call ('yolov5' covers v5/v7, 'yolov8' covers v8/11). */
  get layout(): string | undefined {
    return this.resolvedLayout;
  }

  /** Detects objects in a batch of images; one result per image, in order. */
  async detect(images: ImageInput | ImageInput[], params: DetectParams = {}): Promise<DetectionResult[]> {
    const h = this.live();
    const list = this.nativeImages(images);
    const o = { ...this.options, ...params };
    const [height, width] = heightWidth(o.imgsz, 640);
    const call = { height, width, numClasses: this.classNames?.length, defaultMaxBatch: this.defaultMaxBatch };
    const raw = await native(() => h.detect(list, detectOptions(o, call)));
    this.resolvedLayout = raw.layout;
    return raw.images.map((img) => {
      if (img.error) {
        return { width: 0, height: 0, detections: [], error: new DieInspectError(img.error.code, img.error.message) };
      }
      const { boxes, scores, classIds } = img;
      const detections: Detection[] = [];
      for (let k = 0; k < scores.length; k++) {
        const c = classIds[k];
        detections.push({
          box: [boxes[4 * k], boxes[4 * k + 1], boxes[4 * k + 2], boxes[4 * k + 3]],
          score: scores[k],
          classId: c,
          label: this.classNames?.[c] ?? String(c),
        });
      }
      return {
        width: img.width, height: img.height, detections,
        ...(img.registration ? { registration: img.registration } : {}), ...(img.warning ? { warning: img.warning } : {}),
      };
    });
  }

  /** The input size and pixel preparation detect() gives the model (letterbox, pad 114, RGB / 255), for preprocess(). */
  /**
   * Occlusion maps, one per detection (the best `maxMaps`, default 20): how much the
   * detection's score drops when each of grid x grid cells of the model input is hidden
   * (grey, the letterbox pad colour). The hidden copies run in batches: grid^2 / maxBatch
   * model calls per image with detections, beside the one that finds them.
   */
  async explain(images: ImageInput | ImageInput[], options: ExplainOptions & DetectParams = {}): Promise<Explanation[]> {
    const h = this.live();
    const list = this.nativeImages(images);
    if (options.method !== undefined && options.method !== 'occlusion') {
      throw new DieInspectError('ERR_INVALID_ARG', `explain: a detector is explained by occlusion, not ${String(options.method)}`);
    }
    const o = { ...this.options, ...options };
    const [height, width] = heightWidth(o.imgsz, 640);
    const call = { height, width, numClasses: this.classNames?.length, defaultMaxBatch: this.defaultMaxBatch };
    const params = { ...detectOptions(o, call), ...explainParams(options, 'occlusion') };
    return toExplanations(await native(() => h.explainDetect(list, params)), 'occlusion', this.classNames);
  }

  preprocessOptions(): PreprocessOptions {
    const [height, width] = heightWidth(this.options.imgsz, 640);
    return { width, height, resize: 'letterbox' };
  }

  /** One image; rejects with its error instead of reporting it. */
  async detectOne(image: ImageInput, params: DetectParams = {}): Promise<DetectionResult> {
    const [r] = await this.detect([image], params);
    if (r.error) throw r.error;
    return r;
  }
}
