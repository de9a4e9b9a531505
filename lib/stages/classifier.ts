/** Image classification: images in, class probabilities out. */
import { DieInspectError, native } from '../core/errors';
import type { ImageInput, InputLimits } from '../runtime/images';
import type { PreprocessOptions } from '../runtime/binding';
import { heightWidth, Imgsz, metadataImgsz, metadataNumbers, parseClassNames } from '../runtime/metadata';
import type { NativeSession, Registration } from '../runtime/binding';
import { classifyOptions } from '../runtime/native-options';
import { ModelSession, SessionOptions } from '../runtime/session';
import { readModelBytes } from '../runtime/models';
import { CAM_FEATURES_KEY, CamHead, findCamHead } from '../runtime/onnx/cam-head';
import { OnnxModelFile } from '../runtime/onnx/model-file';
import { Explanation, explainParams, ExplainOptions, SaliencyMethod, toExplanations } from './saliency';

export interface ClassifierOptions extends SessionOptions, InputLimits {
  /** Class names; default: the model's `names` metadata, else "0", "1", ... */
  classNames?: string[];
  /** Input size for models with dynamic height/width. Default: metadata `imgsz`, else 224. */
  imgsz?: Imgsz;
  /** 'stretch' (default) or 'letterbox'. */
  resize?: 'stretch' | 'letterbox';
  /** Pixel scale applied before mean/std. Default 1/255. */
  scale?: number;
  /** Per-channel mean and std in RGB order, after scaling. Default: metadata `mean`/`std`, else 0 and 1. */
  mean?: [number, number, number];
  std?: [number, number, number];
  /** How to read the output: 'auto' detects probabilities vs logits. A single output is a logit (sigmoid). */
  scores?: 'auto' | 'logits' | 'probabilities';
  /** Classify only this part of each image: [x1, y1, x2, y2] as fractions. Default: metadata `region`, else all. */
  region?: [number, number, number, number];
  /** Images per model call for dynamic-batch models. Default 16, 2 on the CPU (`defaultMaxBatch`). */
  maxBatch?: number;
  outputIndex?: number;
}

export interface Classification {
  width: number;
  height: number;
  /** One probability per class (two for a single-logit model: [negative, positive]). */
  probabilities: number[];
  classId: number;
  label: string;
  score: number;
  /** For a reference pair given `align: true`: the motion that registered the reference. */
  registration?: Registration;
  /** With failOn 'error': what the decoder let pass in this damaged image (its first warning). */
  warning?: string;
  error?: DieInspectError;
}

export class Classifier extends ModelSession {
  readonly classNames: string[] | undefined;
  private readonly options: ClassifierOptions;
  /** The pooled linear head's weights, read from the model file at create() where `hasCam`. */
  private head: Promise<CamHead> | undefined;

  private constructor(handle: NativeSession, options: ClassifierOptions) {
    super(handle);
    const meta = this.info.metadata;
    const mean = metadataNumbers(meta, 'mean');
    const std = metadataNumbers(meta, 'std');
    const region = metadataNumbers(meta, 'region');
    this.options = {
      region: region?.length === 4 ? (region as [number, number, number, number]) : undefined,
      imgsz: metadataImgsz(meta),
      mean: mean?.length === 3 ? (mean as [number, number, number]) : undefined,
      std: std?.length === 3 ? (std as [number, number, number]) : undefined,
      ...options,
    };
    this.classNames = options.classNames ?? parseClassNames(meta.names);
  }

  static async create(model: string | Uint8Array, options: ClassifierOptions = {}): Promise<Classifier> {
    const c = new Classifier(await ModelSession.open(model, options), options);
    // Read now, while the file is the one the session loaded (it may be replaced later);
    // a head that does not fit is explain()'s error, not create()'s.
    if (c.hasCam) {
      c.head = readModelBytes(model).then((bytes) => c.headOf(bytes));
      await c.head.catch(() => undefined);
    }
    return c;
  }

  /**
   * Whether explain() can draw class activation maps: the model has its last feature map
   * as an output, named by metadata `cam_features` (shipped classifiers do), before a
   * global average pool and linear head.
   */
  get hasCam(): boolean {
    const name = this.info.metadata[CAM_FEATURES_KEY];
    return !!name && this.info.outputs.some((o) => o.name === name);
  }

  /**
   * Saliency maps, one per image, over the image's own pixels: where the evidence for the
   * class explained lies (default: the predicted class). Method 'cam' (the default when
   * `hasCam`) costs one model call per batch; 'occlusion' (the default otherwise) grid^2 + 1
   * calls per image; 'rise' `masks` + 1. A failed image gets its own error.
   */
  async explain(images: ImageInput | ImageInput[], options: ExplainOptions = {}): Promise<Explanation[]> {
    const h = this.live();
    const list = this.nativeImages(images);
    const method: SaliencyMethod = options.method ?? (this.hasCam ? 'cam' : 'occlusion');
    if (method !== 'cam' && method !== 'rise' && method !== 'occlusion') {
      throw new DieInspectError('ERR_INVALID_ARG', `explain: method must be cam, rise or occlusion, not ${String(method)}`);
    }
    const target = options.target === undefined ? undefined : this.classIndex(options.target);
    const o = this.options;
    const [height, width] = heightWidth(o.imgsz, 224);
    const call = { height, width, defaultMaxBatch: this.defaultMaxBatch };
    const params = { ...classifyOptions(o, call), ...explainParams(options, method, target) };
    if (method === 'cam') {
      const head = await this.camHead();
      Object.assign(params, {
        featureOutput: this.info.outputs.findIndex((x) => x.name === head.features), camWeights: head.weights, camClasses: head.classes,
        outputIndex: this.info.outputs.findIndex((x) => x.name === head.logits),
      });
    }
    return toExplanations(await native(() => h.explainClassify(list, params)), method, this.classNames);
  }

  /** A class given by index or name, as its index; ERR_INVALID_ARG when the model has no such class. */
  classIndex(target: number | string): number {
    const i = typeof target === 'string' ? (this.classNames ?? []).indexOf(target) : target;
    if (!Number.isInteger(i) || i < 0) {
      throw new DieInspectError('ERR_INVALID_ARG', `class ${JSON.stringify(target)} is not a class of this model`
        + (this.classNames ? ` (${this.classNames.join(', ')})` : ''));
    }
    return i;
  }

  /** The pooled linear head read at create(). */
  private camHead(): Promise<CamHead> {
    if (!this.head) {
      return Promise.reject(new DieInspectError('ERR_INVALID_ARG', 'explain: this model has no feature output for method "cam" '
        + `(metadata ${CAM_FEATURES_KEY}); use "rise" or "occlusion", or add one with withCamOutput()`));
    }
    return this.head;
  }

  private headOf(bytes: Uint8Array): CamHead {
    const head = findCamHead(OnnxModelFile.parse(bytes, 'classifier'), this.info.outputs[this.options.outputIndex ?? 0]?.name);
    if (!head || head.features !== this.info.metadata[CAM_FEATURES_KEY]) {
      throw new DieInspectError('ERR_MODEL_LOAD', `explain: the output named by ${CAM_FEATURES_KEY} does not feed a global average `
        + 'pool and linear head that write the classifier output');
    }
    return head;
  }

  /** Classifies a batch of images; one result per image, in order. */
  async classify(images: ImageInput | ImageInput[]): Promise<Classification[]> {
    const h = this.live();
    const list = this.nativeImages(images);
    const o = this.options;
    const [height, width] = heightWidth(o.imgsz, 224);
    const raw = await native(() => h.classify(list, classifyOptions(o, { height, width, defaultMaxBatch: this.defaultMaxBatch })));
    return raw.map((img) => {
      if (img.error) {
        return {
          width: 0, height: 0, probabilities: [], classId: -1, label: '', score: 0,
          error: new DieInspectError(img.error.code, img.error.message),
        };
      }
      const r = this.labelled(Array.from(img.probabilities), img.width, img.height);
      return { ...r, ...(img.registration ? { registration: img.registration } : {}), ...(img.warning ? { warning: img.warning } : {}) };
    });
  }

  /** The input size and pixel preparation classify() gives the model (region, resize, scale, mean/std), for preprocess(). */
  preprocessOptions(): PreprocessOptions {
    const o = this.options;
    const [height, width] = heightWidth(o.imgsz, 224);
    return { width, height, resize: o.resize ?? 'stretch', region: o.region, scale: o.scale, mean: o.mean, std: o.std };
  }

  /** Builds a result from a probability vector (shared with the ensemble). */
  labelled(probabilities: number[], width: number, height: number): Classification {
    let best = 0;
    for (let i = 1; i < probabilities.length; i++) if (probabilities[i] > probabilities[best]) best = i;
    return { width, height, probabilities, classId: best, label: this.classNames?.[best] ?? String(best), score: probabilities[best] };
  }
}
