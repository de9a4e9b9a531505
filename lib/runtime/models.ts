/**
 * The shipped models, described by their cards (`<name>.json` beside each model).
 * The main package carries the default Inspector's models in `models/`; the others
 * come in model packages (`die-inspect-models-roi`, `die-inspect-models-extra`),
 * found wherever npm put them. Names resolve to files, so `Detector.create(
 * 'die-defect-yolov7tiny')` and `--detector die-defect-yolov7tiny` work as readily
 * as a path, and a name whose package is not installed says which one to install.
 */
import { existsSync, promises as fs, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { DieInspectError } from '../core/errors';

export type ModelRole = 'defect-detector' | 'good-defect-classifier' | 'package-detector' | 'package-segmenter' | 'pcb-defect-detector'
  | 'die-defect-generator' | 'board-generator';

export interface ModelCard {
  name: string;
  file: string;
  /** gan-dies / gan-packages: generators for `synth --gan-dies` / `--gan-packages`. */
  task: 'detect' | 'classify' | 'segment' | 'gan-dies' | 'gan-packages';
  role: ModelRole;
  /** Part of the default Inspector. */
  default?: boolean;
  classes: string[];
  input: string;
  output: string;
  params?: number;
  gflops?: number;
  training: { data: string; command: string; epochs?: number; notes?: string };
  metrics: Record<string, unknown>;
  /** `bench` at the model's input size on the machine named (figures hold only there); a generator's: samples a second. */
  speed?: {
    provider: string;
    machine: string;
    input: [number, number];
    batch1: { imagesPerSec: number; p50Ms: number };
    batch16: { batchesPerSec: number; imagesPerSec: number };
  };
  limitations?: string[];
  /** The npm package that carries the model (`die-inspect` for the main package's own). */
  package: string;
}

const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');
/** The main package's own models: the default Inspector's. */
export const MODELS_DIR = path.join(PACKAGE_ROOT, 'models');

/**
 * The model packages built from this repository and, for each, its models' names and
 * roles (written by `scripts/model-card.js --index` from the packages' cards), so a
 * name or a role whose package is not installed can say which package to install.
 */
export type ModelCatalog = Record<string, Record<string, ModelRole>>;
const CATALOG_FILE = path.join(MODELS_DIR, 'packages.json');

export function modelCatalog(): ModelCatalog {
  return existsSync(CATALOG_FILE) ? (JSON.parse(readFileSync(CATALOG_FILE, 'utf8')) as ModelCatalog) : {};
}

/** The installed model packages' model folders, resolved as `require` would from this package. */
function packageModelDirs(): Array<{ pkg: string; dir: string }> {
  const found: Array<{ pkg: string; dir: string }> = [];
  for (const pkg of Object.keys(modelCatalog())) {
    let manifest: string;
    try {
      manifest = require.resolve(`${pkg}/package.json`, { paths: [PACKAGE_ROOT] });
    } catch {
      continue; // not installed
    }
    const meta = JSON.parse(readFileSync(manifest, 'utf8')) as { 'die-inspect'?: { models?: string } };
    found.push({ pkg, dir: path.resolve(path.dirname(manifest), meta['die-inspect']?.models ?? 'models') });
  }
  return found;
}

function cardsIn(dir: string, pkg: string): ModelCard[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'packages.json')
    .sort()
    .map((f) => {
      const card = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ModelCard;
      return { ...card, file: path.join(dir, card.file), package: pkg };
    });
}

/** Every installed model's card: the main package's, then each installed model package's. */
export function listModels(): ModelCard[] {
  return [cardsIn(MODELS_DIR, 'die-inspect'), ...packageModelDirs().map((p) => cardsIn(p.dir, p.pkg))].flat();
}

/** Which catalogued package carries `name`, if any. */
function packageOf(name: string): string | undefined {
  return Object.entries(modelCatalog()).find(([, models]) => name in models)?.[0];
}

const installHint = (pkg: string) => `npm install ${pkg}`;

/**
 * A path to an existing file, or the name of an installed model. A string that looks
 * like a path (has a folder separator or ends in .onnx) is returned as it is, so the
 * model loader reports a missing file as ERR_FILE_NOT_FOUND with its path.
 */
export function resolveModel(nameOrPath: string): string {
  if (existsSync(nameOrPath) || /[\\/]|\.onnx$/i.test(nameOrPath)) return nameOrPath;
  const card = listModels().find((c) => c.name === nameOrPath);
  if (card) {
    if (!existsSync(card.file)) throw new DieInspectError('ERR_CONFIG', `model '${card.name}' is listed but ${card.file} is missing`);
    return card.file;
  }
  const pkg = packageOf(nameOrPath);
  if (pkg) {
    throw new DieInspectError('ERR_CONFIG',
      `model '${nameOrPath}' comes in the package ${pkg}, which is not installed: ${installHint(pkg)}`);
  }
  throw new DieInspectError('ERR_CONFIG', `model '${nameOrPath}' is neither a file nor an installed model (see \`die-inspect models\`)`);
}

/** A model's bytes: a buffer as it is, a file or shipped model's name read. ERR_FILE_NOT_FOUND when unreadable. */
export async function readModelBytes(model: string | Uint8Array): Promise<Uint8Array> {
  if (model instanceof Uint8Array) return model;
  if (typeof model !== 'string') throw new DieInspectError('ERR_INVALID_ARG', 'model must be a file path, a model name or a Buffer');
  const file = resolveModel(model);
  return fs.readFile(file).catch((err) => {
    throw new DieInspectError('ERR_FILE_NOT_FOUND', `cannot read ${file}: ${err.message}`);
  });
}

/** The installed models that make up the default pipeline, for one role. */
export function defaultModels(role: ModelRole): ModelCard[] {
  return listModels().filter((c) => c.role === role && c.default && existsSync(c.file));
}

/** The installed default for a role, for options that may be left out; `what` names the option in the error. */
export function shippedModel(role: ModelRole, what: string): string {
  const card = defaultModels(role)[0];
  if (card) return card.file;
  const pkg = Object.entries(modelCatalog()).find(([, models]) => Object.values(models).includes(role))?.[0];
  throw new DieInspectError('ERR_CONFIG', pkg
    ? `${what}: no model given, and the default ${role} comes in the package ${pkg}, which is not installed: ${installHint(pkg)}`
    : `${what}: no model given and no installed ${role}`);
}
