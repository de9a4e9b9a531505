/**
 * An ensemble manifest: a JSON file naming the member classifiers and how their
 * probabilities are combined and calibrated (written by `die-inspect ensemble`, read by
 * `ClassifierEnsemble.create(file)` and the Inspector). The default Inspector's is
 * `models/ensembles/default.json`; a name resolves to `<name>.json` there.
 */
import { existsSync, promises as fsp } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';
import { fileSha256 } from '../runtime/hash';
import { MODELS_DIR, resolveModel } from '../runtime/models';
import { Calibration, checkCombination, CombineRule, Combination } from './combine';

export const MANIFEST_FORMAT = 'die-inspect-ensemble';
export const ENSEMBLES_DIR = path.join(MODELS_DIR, 'ensembles');

export interface ManifestMember {
  /** A model name, or a path (relative to the manifest's folder). */
  model: string;
  weight: number;
  /** The member file's SHA-256 (hex): a member that was retrained or replaced since is refused. */
  sha256?: string;
  /** Rule `rank`: this member's validation positive-class probabilities, ascending. */
  ranks?: number[];
}

export interface EnsembleManifest {
  format: typeof MANIFEST_FORMAT;
  version: 1;
  name?: string;
  /** The class names every member must report, in output order. */
  classes: string[];
  /** The class the rule `rank` and the calibration refer to (two classes); default the second. */
  positive?: string;
  rule: CombineRule;
  members: ManifestMember[];
  calibration?: Calibration;
  /** How the combination was chosen (data, each rule's validation figures): kept for people, not read. */
  fit?: Record<string, unknown>;
}

/** A manifest checked and its members resolved to files. */
export interface ResolvedManifest {
  manifest: EnsembleManifest;
  /** The manifest file, when read from one. */
  file?: string;
  members: Array<{ model: string; file: string; sha256?: string }>;
  combination: Combination;
}

const looksLikePath = (s: string) => /[\\/]|\.json$/i.test(s);

/** The file a manifest name or path stands for: a path as given, a name in models/ensembles/. */
export function manifestFile(nameOrPath: string): string {
  if (looksLikePath(nameOrPath) || existsSync(nameOrPath)) return nameOrPath;
  return path.join(ENSEMBLES_DIR, `${nameOrPath}.json`);
}

/** Whether a manifest name or path names an existing file (the Inspector's default is 'default'). */
export function manifestExists(nameOrPath: string): boolean {
  return existsSync(manifestFile(nameOrPath));
}

/** Reads and checks a manifest (a name, a path or the object itself), resolving its members. */
export async function resolveManifest(spec: string | EnsembleManifest): Promise<ResolvedManifest> {
  let manifest: unknown = spec;
  let file: string | undefined;
  if (typeof spec === 'string') {
    file = path.resolve(manifestFile(spec));
    let text: string;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DieInspectError(code === 'ENOENT' ? 'ERR_FILE_NOT_FOUND' : 'ERR_CONFIG',
        `ensemble manifest ${file}: ${code === 'ENOENT' ? 'not found' : (err as Error).message}`);
    }
    try {
      manifest = JSON.parse(text);
    } catch (err) {
      throw new DieInspectError('ERR_CONFIG', `ensemble manifest ${file}: not JSON (${(err as Error).message})`);
    }
  }
  const where = `ensemble manifest${file ? ` ${file}` : ''}`;
  const m = checkManifest(manifest, where);
  const dir = file ? path.dirname(file) : process.cwd();
  const members = await Promise.all(m.members.map(async (mb, i) => {
    const what = `${where}: member ${i + 1} (${mb.model})`;
    let resolved: string;
    try {
      resolved = /[\\/]|\.onnx$/i.test(mb.model) ? path.resolve(dir, mb.model) : resolveModel(mb.model);
    } catch (err) {
      throw new DieInspectError('ERR_CONFIG', `${what}: ${(err as Error).message}`);
    }
    if (!existsSync(resolved)) throw new DieInspectError('ERR_FILE_NOT_FOUND', `${what}: ${resolved} not found`);
    if (mb.sha256) {
      const actual = await fileSha256(resolved);
      if (actual !== mb.sha256.toLowerCase()) {
        throw new DieInspectError('ERR_CONFIG',
          `${what}: ${resolved} is not the model the manifest was made with (sha256 ${actual}, manifest ${mb.sha256})`);
      }
    }
    return { model: mb.model, file: resolved, ...(mb.sha256 ? { sha256: mb.sha256 } : {}) };
  }));
  const positive = m.positive === undefined ? 1 : m.classes.indexOf(m.positive);
  const combination: Combination = {
    rule: m.rule, weights: m.members.map((mb) => mb.weight), positive,
    ...(m.rule === 'rank' ? { ranks: m.members.map((mb) => mb.ranks ?? []) } : {}),
    ...(m.calibration ? { calibration: m.calibration } : {}),
  };
  checkCombination(combination, m.members.length, m.classes.length, where);
  return { manifest: m, file, members, combination };
}

function checkManifest(v: unknown, where: string): EnsembleManifest {
  const bad = (what: string) => new DieInspectError('ERR_CONFIG', `${where}: ${what}`);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw bad('must be a JSON object');
  const m = v as Partial<EnsembleManifest>;
  if (m.format !== MANIFEST_FORMAT) throw bad(`format must be "${MANIFEST_FORMAT}", got ${JSON.stringify(m.format)}`);
  if (m.version !== 1) throw bad(`version ${JSON.stringify(m.version)} is not one this die-inspect reads (1)`);
  if (!Array.isArray(m.classes) || m.classes.length < 2 || m.classes.some((c) => typeof c !== 'string')) {
    throw bad('classes must list at least two class names');
  }
  if (m.positive !== undefined && (m.classes.length !== 2 || !m.classes.includes(m.positive))) {
    throw bad(`positive must be one of two classes (${m.classes.join(', ')}), got ${JSON.stringify(m.positive)}`);
  }
  if (!Array.isArray(m.members) || !m.members.length) throw bad('members must list at least one classifier');
  m.members.forEach((mb, i) => {
    if (!mb || typeof mb !== 'object' || typeof mb.model !== 'string' || !mb.model) {
      throw bad(`member ${i + 1}: model must be a name or path`);
    }
    if (mb.sha256 !== undefined && !(typeof mb.sha256 === 'string' && /^[0-9a-f]{64}$/i.test(mb.sha256))) {
      throw bad(`member ${i + 1}: sha256 must be 64 hex digits`);
    }
  });
  return m as EnsembleManifest;
}
