/** The walk of a model over a dataset, in steps that progress can be reported between. */
import type { ProgressCallback } from './types';

/**
 * Hands `items` to `visit` in steps of 16 (or `batch`, if larger), calling
 * `onProgress` after each; the model is called maxBatch at a time within a step.
 */
export async function inSteps<T>(items: T[], batch: number | undefined, visit: (step: T[]) => Promise<void>,
  onProgress?: ProgressCallback): Promise<void> {
  const size = Math.max(16, batch ?? 0);
  for (let i = 0; i < items.length; i += size) {
    await visit(items.slice(i, i + size));
    onProgress?.(Math.min(i + size, items.length), items.length);
  }
}
