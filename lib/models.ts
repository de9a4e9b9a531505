/**
 * The models shipped in `models/`, described by their cards (`models/<name>.json`).
 * Names resolve to files, so `Inspector.create()` finds its defaults and the CLI
 * accepts `--detector die-defect-yolov7tiny` as readily as a path.
 */
import { existsSync, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { DieInspectError } from './errors';

export type ModelRole = 'defect-detector' | 'good-defect-classifier' | 'package-detector' | 'package-segmenter' | 'pcb-defect-detector';

export interface ModelCard {
  name: string;
  file: string;
  task: 'detect' | 'classify' | 'segment';
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
  /** `bench` at the model's input size on the machine named (figures hold only there). */
  speed?: {
    provider: string;
    machine: string;
    input: [number, number];
    batch1: { imagesPerSec: number; p50Ms: number };
    batch16: { batchesPerSec: number; imagesPerSec: number };
  };
  limitations?: string[];
}

export const MODELS_DIR = path.resolve(__dirname, '..', 'models');

/** Every card in `models/`, by name. */
export function listModels(dir = MODELS_DIR): ModelCard[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const card = JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as ModelCard;
      return { ...card, file: path.join(dir, card.file) };
    });
}

/** A path to an existing file, or the name of a shipped model. */
export function resolveModel(nameOrPath: string, dir = MODELS_DIR): string {
  if (existsSync(nameOrPath)) return nameOrPath;
  const card = listModels(dir).find((c) => c.name === nameOrPath);
  if (!card) {
    throw new DieInspectError('ERR_CONFIG', `model '${nameOrPath}' is neither a file nor a shipped model (see \`die-inspect models\`)`);
  }
  if (!existsSync(card.file)) throw new DieInspectError('ERR_CONFIG', `model '${card.name}' is listed but ${card.file} is missing`);
  return card.file;
}

/** The shipped models that make up the default pipeline, for one role. */
export function defaultModels(role: ModelRole, dir = MODELS_DIR): ModelCard[] {
  return listModels(dir).filter((c) => c.role === role && c.default && existsSync(c.file));
}

/** The shipped default for a role, for options that may be left out; `what` names the option in the error. */
export function shippedModel(role: ModelRole, what: string, dir = MODELS_DIR): string {
  const card = defaultModels(role, dir)[0];
  if (!card) throw new DieInspectError('ERR_CONFIG', `${what}: no model given and no shipped ${role} in ${dir}`);
  return card.file;
}
