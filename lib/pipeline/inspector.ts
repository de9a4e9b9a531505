/**
 * The inspection ensemble, per batch of up to 16 images:
 *   acquisition mode -> ROI + upright warp -> defect detector -> die angle ->
 *   classifier ensemble -> verdict.
 * Batches overlap: while batch k is in the models, batch k+1 is decoded and
 * warped (both are native jobs on the libuv pool).
 */
import type { ClassifierOptions } from '../stages/classifier';
import { ClassifierEnsemble } from '../stages/ensemble';
import { type EnsembleManifest, manifestExists } from '../stages/ensemble-manifest';
import { DetectionResult, Detector, DetectorOptions } from '../stages/detector';
import { DieInspectError } from '../core/errors';
import { applyHomography, boxToQuad } from '../core/geometry';
import { ImageInput, RawImage, toNativeImages } from '../runtime/images';
import { defaultModels } from '../runtime/models';
import { releaseBuffers } from '../runtime/ops';
import { batchesOf } from './batching';
import { RequestQueue } from './request-queue';
import type { RoiOptions, RoiResult } from '../stages/roi/base';
import { Roi } from '../stages/roi/factory';
import type { ProviderName, SessionOptions } from '../runtime/session';
import { ExplainOptions, explainOptionsProblem } from '../stages/saliency';
import type { BatchTiming, InspectionClassification, InspectionResult } from './inspection-types';
import { modelsOfRun, Recording, RecordTarget } from './records/recording';
import type { Recorder } from './records/types';

export interface InspectorConfig {
  /** ROI stage options (default: the contour strategy). */
  roi?: RoiOptions;
  /** Defect detector: a path or shipped model name, or false to skip the stage. Default: the shipped one. */
  detector?: string | Uint8Array | false;
  detectorOptions?: DetectorOptions;
  /**
   * Good/defect classifiers: a list (averaged into one probability), an ensemble manifest
   * (its name, path or object: members, rule, weights, calibration), or false. Default: the
   * manifest `default` (models/ensembles/default.json), else the shipped classifiers averaged.
   */
  classifiers?: Array<string | Uint8Array> | string | EnsembleManifest | false;
  classifierOptions?: ClassifierOptions;
  /** Execution providers for every model, in order; the CPU only if listed (see SessionOptions.providers). */
  providers?: ProviderName[];
  session?: SessionOptions;
  /** Per-class score at or above which a detection fails the part. Default 0.5 for every class. */
  classThresholds?: Record<string, number>;
  /** Lowest detection score reported (default 0.25); only those above classThresholds fail the part. */
  conf?: number;
  /** Defect probability (calibrated, with a manifest that calibrates) at or above which the ensemble fails the part. Default 0.5. */
  defectThreshold?: number;
  /** |die angle| above this many degrees fails the part as die_rotation. Default 1. */
  dieTolerance?: number;
  /** Images per batch (default 16, the study's batch). */
  batchSize?: number;
  /** Inspect darkfield images too (default false: only brightfield goes on, as in the study). */
  allModes?: boolean;
  /**
   * submit(): how long a queued image may wait for others to fill its batch. Default
   * 0: a batch takes whatever queued while the previous one was being captured.
   */
  batchWaitMs?: number;
  /** submit(): requests waiting beyond this many reject at once with ERR_BUSY. Default: no limit. */
  maxPending?: number;
  /** Refuse input images of more pixels than this with ERR_IMAGE_TOO_LARGE (see `InputLimits`); overrides `roi.limitInputPixels`. */
  limitInputPixels?: number | boolean;
  /**
   * 'warning' (default): a damaged JPEG gets verdict 'error', not a verdict on patched-up pixels;
   * 'error': inspect it as decoded (see `InputLimits`); overrides `roi.failOn`.
   */
  failOn?: 'warning' | 'error';
  /** Turn JPEGs upright by their EXIF Orientation before inspection (see `InputLimits`); overrides `roi.autoOrient`. */
  autoOrient?: boolean;
  /**
   * Explain failed parts: the classifier ensemble's saliency map of the defect class on the
   * upright crop (`result.saliency`), which annotated pictures blend over the part. true
   * takes the default method (cam); an object sets it (see ExplainOptions). Costs one
   * ensemble explain() per batch with failed parts. Default false.
   */
  explain?: boolean | ExplainOptions;
  /**
   * Record every part in a records store (docs/records.md): a file path (opened, and
   * closed by close()), a Recorder of your own (left open), or `{ to, meta, sidecars }`
   * (metadata of every part; sidecar JSON beside each image, default on). Each Inspector
   * is one run; each batch is recorded before its results are yielded.
   */
  record?: RecordTarget;
  /** Called as each batch leaves the models, before its results are recorded and yielded (a worker's metrics). */
  onBatch?: (batch: BatchTiming) => void;
}

export type {
  BatchTiming, InspectionClassification, InspectionDetection, InspectionResult, InspectionRoi, InspectionSaliency, RecordedAs, Verdict,
} from './inspection-types';

export interface InspectStreamOptions {
  signal?: AbortSignal;
  /**
   * For a live source (an async iterable that yields images as they arrive): the
   * longest an image waits for its batch to fill before a partial batch is sent.
   * Default 50 ms. A list always goes in full batches.
   */
  maxWaitMs?: number;
}

/**
 * Thresholds are compared with scores, and a NaN (or a string from an environment
 * variable) compares false: every part would pass. So every number is checked here.
 */
function checkConfig(c: InspectorConfig): void {
  const fail = (what: string) => {
    throw new DieInspectError('ERR_CONFIG', `Inspector config: ${what}`);
  };
  const unit = (v: unknown, name: string) => {
    if (v !== undefined && !(typeof v === 'number' && v >= 0 && v <= 1)) fail(`${name} must be a number in [0, 1], got ${String(v)}`);
  };
  unit(c.conf, 'conf');
  unit(c.defectThreshold, 'defectThreshold');
  for (const [label, v] of Object.entries(c.classThresholds ?? {})) unit(v, `classThresholds.${label}`);
  if (c.dieTolerance !== undefined && !(typeof c.dieTolerance === 'number' && c.dieTolerance >= 0 && Number.isFinite(c.dieTolerance))) {
    fail(`dieTolerance must be a non-negative number of degrees, got ${String(c.dieTolerance)}`);
  }
  if (c.batchSize !== undefined && !(Number.isInteger(c.batchSize) && c.batchSize >= 1 && c.batchSize <= 64)) {
    fail(`batchSize must be a whole number from 1 to 64, got ${String(c.batchSize)}`);
  }
  if (c.maxPending !== undefined && !(Number.isInteger(c.maxPending) && c.maxPending >= 1)) {
    fail(`maxPending must be a whole number >= 1, got ${String(c.maxPending)}`);
  }
  if (c.failOn !== undefined && c.failOn !== 'warning' && c.failOn !== 'error') {
    fail(`failOn must be 'warning' or 'error', got ${String(c.failOn)}`);
  }
  if (c.autoOrient !== undefined && typeof c.autoOrient !== 'boolean') {
    fail(`autoOrient must be true or false, got ${String(c.autoOrient)}`);
  }
  if (c.batchWaitMs !== undefined && !(typeof c.batchWaitMs === 'number' && c.batchWaitMs >= 0)) {
    fail(`batchWaitMs must be a number >= 0, got ${String(c.batchWaitMs)}`);
  }
  if (c.explain !== undefined && typeof c.explain !== 'boolean') {
    const problem = typeof c.explain === 'object' && c.explain !== null
      ? explainOptionsProblem(c.explain) : 'must be true, false or explain options';
    if (problem) fail(`explain ${problem}`);
  }
}

function probabilityOfDefect(probs: number[], names: string[] | undefined): number {
  const i = names ? names.findIndex((n) => /defect/i.test(n)) : -1;
  return probs[i >= 0 ? i : probs.length - 1];
}

export class Inspector {
  private constructor(
    readonly roi: Roi,
    readonly detector: Detector | null,
    readonly ensemble: ClassifierEnsemble | null,
    readonly memberNames: string[],
    private readonly config: InspectorConfig,
    /** The records store's run, with `record`. */
    private recording: Recording | null = null,
  ) {}

  /** The records store this Inspector records in (`record`), or null. */
  get recorder(): Recorder | null {
    return this.recording?.recorder ?? null;
  }

  private requests: RequestQueue<ImageInput, InspectionResult> | undefined;

  /** Builds the pipeline; with no arguments it uses the models shipped in `models/`. */
  static async create(config: InspectorConfig = {}): Promise<Inspector> {
    checkConfig(config);
    const session: SessionOptions = { ...config.session, ...(config.providers ? { providers: config.providers } : {}) };
    // Only the ROI stage decodes the caller's images.
    const roi = await Roi.create({
      // A darkfield image the mode filter skips is not searched for a package either.
      brightfieldOnly: !config.allModes,
      ...config.roi,
      dieTolerance: config.dieTolerance ?? config.roi?.dieTolerance,
      limitInputPixels: config.limitInputPixels ?? config.roi?.limitInputPixels,
      failOn: config.failOn ?? config.roi?.failOn,
      autoOrient: config.autoOrient ?? config.roi?.autoOrient,
    });
    let detector: Detector | null = null;
    let ensemble: ClassifierEnsemble | null = null;
    const names: string[] = [];
    try {
      let detModel = config.detector;
      if (detModel === undefined) {
        const d = defaultModels('defect-detector')[0];
        if (!d) {
          throw new DieInspectError('ERR_CONFIG',
            'no shipped defect detector found in models/: pass `detector` (a path) or `detector: false`');
        }
        detModel = d.file;
      }
      if (detModel !== false) {
        // A name resolves where every model loads (ModelSession). The models see the ROI
        // stage's own crops: the input limit was applied to the image.
        detector = await Detector.create(detModel, {
          ...session, conf: config.conf ?? 0.25, limitInputPixels: false, ...config.detectorOptions,
        });
      }
      let clsModels = config.classifiers;
      if (clsModels === undefined) {
        clsModels = manifestExists('default') ? 'default' : defaultModels('good-defect-classifier').map((c) => c.file);
      }
      const clsOptions = { ...session, limitInputPixels: false, ...config.classifierOptions };
      if (clsModels !== false && !(Array.isArray(clsModels) && !clsModels.length)) {
        ensemble = await ClassifierEnsemble.create(Array.isArray(clsModels)
          ? clsModels.map((model) => ({ model, options: clsOptions })) : clsModels, clsOptions);
        ensemble.memberNames.forEach((m, i) => {
          names.push(/^member \d+$/.test(m) ? `classifier-${i}` : m.replace(/^.*[\\/]/, '').replace(/\.onnx$/, ''));
        });
      }
      const recording = config.record === undefined ? null : await Recording.start(config.record, {
        config: { ...config, record: undefined }, provider: detector?.provider ?? ensemble?.members[0]?.provider ?? null,
        models: await modelsOfRun(config.roi, detModel, ensemble?.memberNames ?? []), classes: detector?.classNames,
      });
      return new Inspector(roi, detector, ensemble, names, config, recording);
    } catch (err) {
      detector?.close();
      ensemble?.close();
      roi.close();
      throw err;
    }
  }

  /** Inspects images in batches; one result per image, in order. */
  async inspect(images: ImageInput | ImageInput[]): Promise<InspectionResult[]> {
    const list = Array.isArray(images) ? images : [images];
    const out: InspectionResult[] = [];
    for await (const r of this.inspectStream(list)) out.push(r);
    return out;
  }

  /**
   * Streams results batch by batch for large jobs: at most two batches are in
   * flight (one being captured, one in the models), so memory stays bounded and
   * a slow consumer holds the producer back. A batch's results are yielded as soon
   * as it leaves the models, while the next batch is still forming, and from a
   * live source a partial batch goes after `maxWaitMs`. Abort with `signal`.
   */
  async *inspectStream(images: Iterable<ImageInput> | AsyncIterable<ImageInput>,
    options: InspectStreamOptions = {}): AsyncGenerator<InspectionResult> {
    const size = this.config.batchSize ?? 16;
    const maxWaitMs = options.maxWaitMs ?? 50;
    if (!(maxWaitMs >= 0)) throw new DieInspectError('ERR_INVALID_ARG', `maxWaitMs must be >= 0, got ${maxWaitMs}`);
    const batches = batchesOf(images, size, maxWaitMs);
    let index = 0;
    const capture = async (next: IteratorResult<ImageInput[]>) => {
      if (next.done) return undefined;
      const batch = next.value;
      const t0 = performance.now();
      const base = index;
      index += batch.length;
      const roi = await this.roi.capture(batch);
      return { batch, base, roi, roiMs: (performance.now() - t0) / batch.length, captureMs: performance.now() - t0 };
    };
    const aborted = () => {
      if (options.signal?.aborted) throw new DieInspectError('ERR_ABORTED', 'inspection aborted');
    };
    try {
      let pending = batches.next().then(capture);
      pending.catch(() => undefined);  // rejections are seen when awaited; an abort may come first
      for (;;) {
        aborted();
        const current = await pending;
        if (!current) return;
        // Batch k+1 forms and is captured while batch k runs through the models.
        pending = batches.next().then(capture);
        pending.catch(() => undefined);
        const t0 = performance.now();
        let results: InspectionResult[];
        try {
          results = await this.finish(current.batch, current.base, current.roi, current.roiMs);
        } finally {
          // The crops were the models' input only (no result holds one): their native memory
          // goes now, not when the collector reaches them, which a small JS heap puts off for
          // dozens of batches.
          releaseBuffers(current.roi.flatMap((r) => (r.crop ? [r.crop.data] : [])));
        }
        this.config.onBatch?.({ size: current.batch.length, captureMs: current.captureMs, modelMs: performance.now() - t0 });
        // Recorded before it is yielded: what a caller has seen is in the store.
        if (this.recording) await this.recording.add(current.batch, results);
        for (const r of results) {
          aborted();
          yield r;
        }
      }
    } finally {
      void batches.return(undefined).catch(() => undefined);
    }
  }

  private async finish(batch: ImageInput[], base: number, rois: RoiResult[], roiMs: number): Promise<InspectionResult[]> {
    const results: InspectionResult[] = rois.map((r, i) => ({
      index: base + i,
      path: typeof batch[i] === 'string' ? (batch[i] as string) : undefined,
      width: r.width,
      height: r.height,
      mode: r.status === 'error' ? undefined : r.mode,
      roi: {
        status: r.status, quad: r.quad, angle: r.angle, score: r.score, refined: r.refined,
        cropWidth: r.cropWidth, cropHeight: r.cropHeight,
      },
      dieAngle: r.die ? r.die.angle : null,
      detections: [],
      classification: null,
      verdict: 'pass',
      reasons: [],
      timings: { roiMs, detectMs: 0, classifyMs: 0, totalMs: 0 },
      ...(r.warning ? { warning: r.warning } : {}),
      error: r.error,
    }));
    // The ROI stage judged rotation with this tolerance (see create()); only the reason text needs it.
    const tolerance = this.config.dieTolerance ?? this.config.roi?.dieTolerance ?? 1;
    const live: number[] = [];
    rois.forEach((r, i) => {
      const res = results[i];
      // The mode filter comes first: a darkfield image is skipped whether or not a package shows,
      // and carries no outline (nor die angle) that nobody looked for.
      if (r.status === 'skipped' || (r.status !== 'error' && r.mode !== 'brightfield' && !this.config.allModes)) {
        res.verdict = 'skipped';
        res.reasons.push(`${r.mode} image: only brightfield images are inspected`);
        res.roi = { status: 'skipped' };
        res.dieAngle = null;
        res.error = undefined;
      } else if (r.status === 'error' || r.status === 'not_found') {
        res.verdict = 'error';
        res.reasons.push(r.status === 'not_found' ? 'no IC package found' : `${r.error?.code}: ${r.error?.message}`);
      } else if (r.status === 'ok' && r.crop) {
        live.push(i);
      }
    });
    const crops = live.map((i) => rois[i].crop!);
    const [det, cls] = await Promise.all([this.detectCrops(crops), this.classifyCrops(crops)]);
    live.forEach((i, k) => {
      const res = results[i];
      const roi = rois[i];
      res.timings.detectMs = det.ms;
      res.timings.classifyMs = cls.ms;
      const d = det.results[k];
      if (d?.error) {
        res.verdict = 'error';
        res.reasons.push(`detector: ${d.error.code}: ${d.error.message}`);
        res.error = d.error;
      } else if (d) {
        res.detections = d.detections.map((x) => ({
          label: x.label, classId: x.classId, score: x.score, cropBox: x.box, quad: boxToQuad(roi.cropToImage!, x.box),
        }));
      }
      const c = cls.results[k];
      if (c) res.classification = c;
      if (res.verdict === 'error') return;
      for (const x of res.detections) {
        const th = this.config.classThresholds?.[x.label] ?? 0.5;
        if (x.score >= th) res.reasons.push(`${x.label} ${x.score.toFixed(2)} (threshold ${th})`);
      }
      if (roi.die?.rotated) {
        res.reasons.push(`die rotated ${roi.die.angle.toFixed(2)} deg (tolerance ${tolerance})`);
      }
      const th = this.config.defectThreshold ?? 0.5;
      if (res.classification && res.classification.defectProbability >= th) {
        res.reasons.push(`classifier ensemble: defect probability ${res.classification.defectProbability.toFixed(3)} (threshold ${th})`);
      }
      res.verdict = res.reasons.length ? 'fail' : 'pass';
    });
    await this.explainFailed(live.filter((i) => results[i].verdict === 'fail'), rois, results);
    for (const r of results) r.timings.totalMs = r.timings.roiMs + r.timings.detectMs + r.timings.classifyMs + (r.timings.explainMs ?? 0);
    return results;
  }

  /** With `explain`: the ensemble's defect-class map of each failed part's crop. */
  private async explainFailed(failed: number[], rois: RoiResult[], results: InspectionResult[]): Promise<void> {
    const explain = this.config.explain;
    if (!explain || !this.ensemble || failed.length === 0) return;
    const names = this.ensemble.members[0]?.classNames ?? [];
    const defect = names.findIndex((n) => /defect/i.test(n));
    const t0 = performance.now();
    const maps = await this.ensemble.explain(failed.map((i) => rois[i].crop!),
      { ...(explain === true ? {} : explain), target: defect >= 0 ? defect : Math.max(0, names.length - 1) });
    const ms = (performance.now() - t0) / failed.length;
    failed.forEach((i, k) => {
      const map = maps[k].maps[0];
      results[i].timings.explainMs = ms;
      if (map) results[i].saliency = { map, imagePeak: applyHomography(rois[i].cropToImage!, [map.peak.x, map.peak.y]) };
    });
  }

  private async detectCrops(crops: RawImage[]) {
    if (!this.detector || !crops.length) return { results: [] as DetectionResult[], ms: 0 };
    const t0 = performance.now();
    const results = await this.detector.detect(crops);
    return { results, ms: (performance.now() - t0) / crops.length };
  }

  private async classifyCrops(crops: RawImage[]) {
    if (!this.ensemble || !crops.length) return { results: [] as Array<InspectionClassification | null>, ms: 0 };
    const t0 = performance.now();
    const names = this.ensemble.members[0]?.classNames;
    const rows = await this.ensemble.classify(crops);
    const results = rows.map((r): InspectionClassification | null => (r.error ? null : {
      defectProbability: probabilityOfDefect(r.probabilities, names),
      members: r.members.map((p, m) => ({
        name: this.memberNames[m] ?? `classifier-${m}`, defectProbability: p.length ? probabilityOfDefect(p, names) : NaN,
      })),
    }));
    return { results, ms: (performance.now() - t0) / crops.length };
  }

  /**
   * Inspects one image as part of whatever batch is forming: for services, where
   * each request handler has one part. Requests that arrive while the pipeline is
   * busy are batched together (up to `batchSize`), so a loaded service runs full
   * batches and an idle one answers at once. Resolves like one `inspect()` result:
   * an image that cannot be read has verdict 'error'. An input of the wrong type
   * rejects its own request (ERR_INVALID_ARG) before it is queued. `index` is the
   * image's place in the internal stream, of no use to the caller.
   */
  submit(image: ImageInput): Promise<InspectionResult> {
    try {
      toNativeImages([image], false);
    } catch (err) {
      return Promise.reject(err);
    }
    this.requests ??= new RequestQueue((source) => this.inspectStream(source, { maxWaitMs: this.config.batchWaitMs ?? 0 }),
      this.config.maxPending ?? Infinity);
    return this.requests.submit(image);
  }

  /**
   * Frees the models (at once); submissions still queued reject with ERR_SESSION_CLOSED.
   * With `record`, the run is ended (and a store opened from a file closed) by the time
   * the promise resolves.
   */
  async close(): Promise<void> {
    this.requests?.close();
    this.detector?.close();
    this.ensemble?.close();
    this.roi.close();
    const recording = this.recording;
    this.recording = null;
    await recording?.end();
  }
}
