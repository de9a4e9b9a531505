/**
 * The Inspector's side of a records store: one run per Inspector, each batch's parts
 * recorded in one transaction (with their sha256 and metadata) before they are yielded.
 */
import { createHash } from 'crypto';
import { existsSync } from 'fs';
import { DieInspectError } from '../../core/errors';
import { fileSha256 } from '../../runtime/hash';
import type { ImageInput } from '../../runtime/images';
import { resolveModel } from '../../runtime/models';
import type { RoiOptions } from '../../stages/roi/base';
import type { InspectionResult } from '../inspection-types';
import { imageIdentity, mergeMeta, readSidecar } from './part-meta';
import { openRecorder } from './sqlite';
import type { PartInput, PartMeta, Recorder, RunModel, RunStart } from './types';

/** `InspectorConfig.record` in full: where, and the metadata every part of the run gets. */
export interface RecordOptions {
  /** A store file (opened, and closed with the Inspector) or a Recorder of the caller's (left open). */
  to: string | Recorder;
  /** Metadata of every part of the run; each image's sidecar overrides it key by key. */
  meta?: PartMeta;
  /** Read `IMAGE.EXT.json` / `IMAGE.json` beside each image (default true). */
  sidecars?: boolean;
}

/** What `record` may be: a file, a Recorder, or the options. */
export type RecordTarget = string | Recorder | RecordOptions;

function isRecorder(v: unknown): v is Recorder {
  return !!v && typeof v === 'object' && typeof (v as Recorder).record === 'function' && typeof (v as Recorder).beginRun === 'function';
}

export function recordOptions(target: RecordTarget): RecordOptions {
  if (typeof target === 'string' || isRecorder(target)) return { to: target };
  if (target && typeof target === 'object' && (typeof target.to === 'string' || isRecorder(target.to))) return target;
  throw new DieInspectError('ERR_CONFIG', 'Inspector config: record must be a store file, a Recorder or { to, meta, sidecars }');
}

export class Recording {
  private constructor(readonly recorder: Recorder, readonly runId: number, private readonly options: RecordOptions,
    private readonly owned: boolean) {}

  /** Opens the store (for a file) and begins the run. */
  static async start(target: RecordTarget, run: RunStart): Promise<Recording> {
    const o = recordOptions(target);
    const owned = typeof o.to === 'string';
    const recorder = typeof o.to === 'string' ? await openRecorder(o.to) : o.to;
    try {
      const runId = await recorder.beginRun({ ...run, meta: o.meta });
      return new Recording(recorder, runId, o, owned);
    } catch (err) {
      if (owned) await recorder.close().catch(() => undefined);
      throw err;
    }
  }

  /** Records a batch in one transaction; each result learns its part id (`recorded`). */
  async add(images: ImageInput[], results: InspectionResult[]): Promise<void> {
    const parts = await Promise.all(results.map(async (result, i): Promise<PartInput> => {
      const image = images[i];
      const id = await imageIdentity(image).catch((err: Error) => {
        throw new DieInspectError('ERR_FILE_NOT_FOUND', `records: cannot read ${String(typeof image === 'string' ? image : 'the image')} `
          + `again to hash it: ${err.message}`, { cause: err });
      });
      let sidecar: PartMeta | undefined;
      if (typeof image === 'string' && this.options.sidecars !== false) {
        // A broken sidecar costs its part the metadata, not the run: what went wrong is kept with the part.
        sidecar = await readSidecar(image).catch((err: Error) => ({ extra: { sidecarError: err.message } }));
      }
      return { result, ...id, meta: mergeMeta(this.options.meta, sidecar) };
    }));
    const outcomes = await this.recorder.record(this.runId, parts);
    outcomes.forEach((o, i) => {
      results[i].recorded = o;
    });
  }

  /** Ends the run, and closes the store if it was opened here. */
  async end(): Promise<void> {
    try {
      await this.recorder.endRun(this.runId);
    } finally {
      if (this.owned) await this.recorder.close();
    }
  }
}

/** A model as a run records it: its name as given and the sha256 of its file or bytes (null: not a readable file). */
async function runModel(role: RunModel['role'], model: string | Uint8Array): Promise<RunModel> {
  if (typeof model !== 'string') return { role, name: '(bytes)', sha256: createHash('sha256').update(model).digest('hex') };
  let file: string;
  try {
    file = resolveModel(model);
  } catch {
    return { role, name: model, sha256: null };
  }
  return { role, name: model, sha256: existsSync(file) ? await fileSha256(file).catch(() => null) : null };
}

/** The models of an Inspector's run: ROI models (seg, sam), the detector, each classifier. */
export async function modelsOfRun(roi: RoiOptions | undefined, detector: string | Uint8Array | false | undefined,
  classifiers: string[]): Promise<RunModel[]> {
  const roiModels: Array<string | Uint8Array | undefined> = roi?.strategy === 'seg' ? [roi.model]
    : roi?.strategy === 'sam' ? [roi.detector, roi.encoder, roi.decoder] : [];
  return Promise.all([
    ...roiModels.filter((m): m is string | Uint8Array => m !== undefined).map((m) => runModel('roi', m)),
    ...(detector ? [runModel('detector', detector)] : []),
    ...classifiers.map((m) => runModel('classifier', m)),
  ]);
}
