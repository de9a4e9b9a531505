/** compareDetectors(): whether one detector is better than another on the same data, by the paired bootstrap. */
import { DieInspectError } from '../core/errors';
import { BootstrapOptions, bootstrapDifference, MapDifference } from './bootstrap';
import type { DetectorEvaluation } from './run-detector';

export interface DetectorComparison {
  /** first - second. */
  map50: number;
  map50_95: number;
  perClass: Array<{ name: string; ap50: number; ap50_95: number }>;
  /** Intervals of the differences, every resample drawing the same images for both; how often the first is ahead. */
  intervals: MapDifference;
}

/**
 * The differences first - second of two evaluateDetector() results on the same
 * dataset, and their paired-bootstrap intervals (1000 resamples unless `options`
 * say otherwise). The two must have the same classes.
 */
export function compareDetectors(first: DetectorEvaluation, second: DetectorEvaluation,
  options: BootstrapOptions = {}): DetectorComparison {
  if (first.classNames.join('\n') !== second.classNames.join('\n')) {
    throw new DieInspectError('ERR_INVALID_ARG', 'compared detectors must have the same classes '
      + `(${first.classNames.join(', ')} vs ${second.classNames.join(', ')})`);
  }
  const a = first.metrics, b = second.metrics;
  return {
    map50: a.map50 - b.map50,
    map50_95: a.map50_95 - b.map50_95,
    perClass: a.perClass.map((c, k) => ({ name: c.name, ap50: c.ap50 - b.perClass[k].ap50, ap50_95: c.ap50_95 - b.perClass[k].ap50_95 })),
    intervals: bootstrapDifference(first.images, second.images, first.classNames.length, options),
  };
}
