/** Parsing helpers shared by the CLI commands. */
import { DieInspectError } from '../errors';
import type { ProviderName } from '../session';

const PROVIDERS: ProviderName[] = ['tensorrt', 'cuda', 'cpu'];

/** "tensorrt" -> ['tensorrt', 'cuda', 'cpu'] (the usual fallback chain); "cuda,cpu" as given. */
export function parseProviders(text: string): ProviderName[] {
  const names = text.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
  for (const n of names) {
    if (!PROVIDERS.includes(n as ProviderName)) {
      throw new DieInspectError('ERR_INVALID_ARG', `unknown execution provider '${n}' (tensorrt, cuda, cpu)`);
    }
  }
  if (names.length === 1) return PROVIDERS.slice(PROVIDERS.indexOf(names[0] as ProviderName));
  return names as ProviderName[];
}

export function parseNumber(text: string, name: string): number {
  const v = Number(text);
  if (!Number.isFinite(v)) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be a number, got '${text}'`);
  return v;
}

export function positiveInt(text: string, name: string): number {
  const v = parseNumber(text, name);
  if (!Number.isInteger(v) || v < 1) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be a positive integer, got '${text}'`);
  return v;
}

export function nonNegativeInt(text: string, name: string): number {
  const v = parseNumber(text, name);
  if (!Number.isInteger(v) || v < 0) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be a non-negative integer, got '${text}'`);
  return v;
}

/** `--limit-input-pixels N`: a whole number of pixels, 0 for no limit. */
export function limitInputPixels(text: string | undefined): number | undefined {
  return text === undefined ? undefined : nonNegativeInt(text, '--limit-input-pixels');
}

export function parseIntList(text: string, name: string): number[] {
  return text.split(',').map((s) => {
    const v = Number(s.trim());
    if (!Number.isInteger(v) || v < 1) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be positive integers, got '${text}'`);
    return v;
  });
}
