/** Parsing helpers shared by the CLI commands. */
import { Option } from 'commander';
import { DieInspectError } from '../core/errors';
import { DEFAULT_LIMIT_INPUT_PIXELS, InputLimits } from '../runtime/images';
import type { ProviderName } from '../runtime/session';

const PROVIDERS: ProviderName[] = ['tensorrt', 'cuda', 'cpu'];

/** --ep's help, the same on every command. */
export const PROVIDERS_HELP = 'execution providers: one name for its fallback chain (tensorrt: tensorrt,cuda,cpu), '
  + 'or a list tried in order (cpu only if listed)';

/**
 * "tensorrt" -> ['tensorrt', 'cuda', 'cpu'] (the usual fallback chain); "cuda,cpu" as given,
 * and "tensorrt,cuda" (no cpu) fails rather than fall back.
 */
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

// The two guards of every command that reads images (parsed by parseInputLimits).
export function limitInputPixelsOption(): Option {
  return new Option('--limit-input-pixels <n>', 'refuse images of more pixels than this (0: no limit)')
    .default(String(DEFAULT_LIMIT_INPUT_PIXELS));
}

export function failOnOption(): Option {
  return new Option('--fail-on <level>', 'warning: a damaged JPEG (data the decoder had to patch up) fails that image; '
    + 'error: only images that cannot be read at all fail').default('warning');
}

/** `--auto-orient`: JPEGs turned upright by their EXIF Orientation before anything else (off by default). */
export function autoOrientOption(): Option {
  return new Option('--auto-orient', 'turn JPEGs upright by their EXIF Orientation first; results are in the upright image\'s pixels');
}

export interface InputLimitFlags {
  limitInputPixels?: string;
  failOn?: string;
  autoOrient?: boolean;
}

/** `--limit-input-pixels N` (whole pixels, 0 for no limit), `--fail-on warning|error` and `--auto-orient`. */
export function parseInputLimits(o: InputLimitFlags): InputLimits {
  if (o.failOn !== undefined && o.failOn !== 'warning' && o.failOn !== 'error') {
    throw new DieInspectError('ERR_INVALID_ARG', `--fail-on must be warning or error, got '${o.failOn}'`);
  }
  return {
    limitInputPixels: o.limitInputPixels === undefined ? undefined : nonNegativeInt(o.limitInputPixels, '--limit-input-pixels'),
    failOn: o.failOn,
    ...(o.autoOrient ? { autoOrient: true } : {}),
  };
}

export function parseIntList(text: string, name: string): number[] {
  return text.split(',').map((s) => {
    const v = Number(s.trim());
    if (!Number.isInteger(v) || v < 1) throw new DieInspectError('ERR_INVALID_ARG', `${name} must be positive integers, got '${text}'`);
    return v;
  });
}
