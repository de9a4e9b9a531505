'use strict';
// Finds and loads the native addon, in this order: a local build (build/Release,
// made from source) or this package's own prebuilds/ (node-gyp-build's order), then
// the prebuild in the platform package (die-inspect-linux-x64, an optional
// dependency). Shared by the loader (lib/runtime/binding.ts), build-addon.js and
// install-gpu-providers.js.
const path = require('path');
const nodeGypBuild = require('node-gyp-build');

const root = path.resolve(__dirname, '..');
const PLATFORM_PACKAGE = `die-inspect-${process.platform}-${process.arch}`;
const firstLine = (err) => String(err && err.message ? err.message : err).split('\n')[0];

/** The folders that may hold the addon, each with its label for messages. */
function places() {
  const out = [{ label: 'local build or prebuild', dir: root }];
  try {
    const manifest = require.resolve(`${PLATFORM_PACKAGE}/package.json`, { paths: [root] });
    out.push({ label: PLATFORM_PACKAGE, dir: path.dirname(manifest) });
  } catch {
    out.push({ label: PLATFORM_PACKAGE, dir: null });
  }
  return out;
}

/** { addon, file } of the first addon that loads; else throws with what each place said. */
function loadAddon() {
  const tried = [];
  for (const { label, dir } of places()) {
    if (!dir) {
      tried.push(`${label}: not installed`);
      continue;
    }
    let file;
    try {
      file = nodeGypBuild.path(dir);
    } catch (err) {
      tried.push(`${label}: ${firstLine(err)}`);
      continue;
    }
    try {
      return { addon: require(file), file };
    } catch (err) {
      tried.push(`${label}: ${file} does not load: ${firstLine(err)}`);
    }
  }
  const err = new Error(`the die-inspect native addon could not be loaded (${tried.join('; ')}). ` +
    `On linux-x64 with glibc 2.36 or newer, reinstall with optional dependencies (npm install --include=optional die-inspect); ` +
    'elsewhere build it from source with `npx die-inspect build-addon` (docs/building.md)');
  err.code = 'ERR_ADDON_LOAD';
  err.tried = tried;
  throw err;
}

module.exports = { loadAddon, PLATFORM_PACKAGE };
