/** A loaded ONNX model on a chosen execution provider: the base of Detector and Classifier. */
import { DieInspectError, native } from '../core/errors';
import { ImageInput, REFERENCE_PAIR_PLANES, toNativeImages } from './images';
import { loadNative, ModelInfo, NativeBenchmarkOptions, NativeSession, NativeTensor, ProviderName } from './binding';
import { sessionOptions } from './native-options';
import type { SessionOptions } from './session-options';
import { defaultTrtCacheDir, withCacheLock } from './trt-cache';
import { resolveModel } from './models';

export type { ModelInfo, ProviderName, SessionOptions };
export type { TensorInfo } from './binding';

export class ModelSession {
  /** Model description and provider report, read once at load. */
  readonly info: ModelInfo;
  protected handle: NativeSession | null;

  protected constructor(handle: NativeSession) {
    this.handle = handle;
    this.info = handle.info();
  }

  /** Loads a model file or buffer off the main thread. */
  static async create(model: string | Uint8Array, options: SessionOptions = {}): Promise<ModelSession> {
    return new ModelSession(await ModelSession.open(model, options));
  }

  protected static async open(model: string | Uint8Array, options: SessionOptions): Promise<NativeSession> {
    if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
      throw new DieInspectError('ERR_INVALID_ARG', 'model must be a file path or a Buffer');
    }
    // A shipped model's name (`die-defect-yolov7tiny`) loads like its file.
    if (typeof model === 'string') model = resolveModel(model);
    const source = model;
    const opts = sessionOptions(options);
    const create = () => native(() => loadNative().createSession(source, opts));
    const unset = { engine: options.trtEngineCacheDir === undefined, timing: options.trtTimingCacheDir === undefined };
    // Checked as an array: a JS caller's malformed list is the addon's to refuse.
    if (Array.isArray(opts.providers) && opts.providers.includes('tensorrt') && (unset.engine || unset.timing)) {
      const dir = await defaultTrtCacheDir(source, loadNative().ortVersion);
      if (dir) {
        if (unset.engine) opts.trtEngineCacheDir = dir;
        if (unset.timing) opts.trtTimingCacheDir = dir;
        return withCacheLock(dir, create);
      }
    }
    return create();
  }

  /**
   * The model was trained on reference pairs (metadata `planes` image,reference,difference):
   * every image must come as `{ image, reference }`, and no other model takes pairs.
   */
  get needsReference(): boolean {
    return this.info.metadata.planes === REFERENCE_PAIR_PLANES;
  }

  get provider(): ProviderName {
    return this.info.provider;
  }

  /**
   * Images per model call when the caller does not say (`maxBatch`): 16 (the study's
   * batch) on CUDA and TensorRT; 2 on the CPU at every input size. Measured end to end
   * (`bench/model-batch.js --imgsz 320,640`: decode, letterbox, run and NMS, 2 cores),
   * calls of 2 were the fastest or within 1 % of it at both sizes (320: 81 img/s against
   * 71 for calls of 16; 640: 19.1 against 18.9, and 19.4 for calls of 4), although the
   * bare model alone runs 16 faster per image: the next call's preparation and the other
   * sessions share the cores with the running call. On small crops at 320 calls of 16
   * were 1.01-1.12x faster (`bench/cpu-targets.js`), so no rule on the input size fits both.
   */
  get defaultMaxBatch(): number {
    return this.provider === 'cpu' ? 2 : 16;
  }

  get closed(): boolean {
    return this.handle === null;
  }

  /** Raw model call: feeds by input name; outputs by name (zero-copy views of ORT's tensors). */
  async run(feeds: Record<string, NativeTensor>): Promise<Record<string, Required<NativeTensor>>> {
    const h = this.live();
    return native(() => h.run(feeds));
  }

  /** Random-input timing loop in native code (no pre/post-processing): per-iteration milliseconds. */
  async benchmark(options: NativeBenchmarkOptions = {}) {
    const h = this.live();
    return native(() => h.benchmark(options));
  }

  /** Frees the model. Jobs already running finish first; later calls reject with ERR_SESSION_CLOSED. */
  close(): void {
    if (this.handle) this.handle.close();
    this.handle = null;
  }

  /** Validated images for this model's native calls: pairs for a pair model, single images for any other. */
  protected nativeImages(images: ImageInput | ImageInput[]): ImageInput[] {
    return toNativeImages(images, this.needsReference);
  }

  protected live(): NativeSession {
    if (!this.handle) throw new DieInspectError('ERR_SESSION_CLOSED', 'session is closed');
    return this.handle;
  }
}
