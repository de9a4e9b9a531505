'use strict';
// Command-line reading and percentiles shared by the bench scripts.

/** The value after `--name` on the command line, else `fallback`. */
function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** The p-th percentile of an ascending array (nearest rank). */
function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

module.exports = { arg, pct };
