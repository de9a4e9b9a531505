/**
 * Packages loaded on first use: the optional peers (better-sqlite3, bullmq) that a plain
 * install leaves out because they run install scripts, and dependencies slow to load that
 * most commands never need. A missing or broken one fails only what needs it.
 */
import { DieInspectError } from '../core/errors';

const loaded = new Map<string, unknown>();

/** `require(name)`, once; ERR_ADDON_LOAD saying what needs it (`purpose`) and how to get it (`install`). */
export function loadOptional<T>(name: string, purpose: string, install: string): T {
  if (loaded.has(name)) return loaded.get(name) as T;
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const m = require(name) as T;
    loaded.set(name, m);
    return m;
  } catch (err) {
    throw new DieInspectError('ERR_ADDON_LOAD', `${purpose} needs ${name} (${install}), which did not load: ${(err as Error).message}`,
      { cause: err });
  }
}
