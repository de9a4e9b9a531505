/**
 * The station's front end: a fixed list of files, read once from the package (web/review/)
 * and from htm's Preact bundle in node_modules. A request names an entry of the list,
 * never a path: nothing else on the disk can be reached through it.
 */
import { readFileSync } from 'fs';
import * as path from 'path';

export interface Asset {
  type: string;
  body: Buffer;
}

/** web/review/ of the package (dist/serve/ -> ../../web/review). */
export const WEB_DIR = path.join(__dirname, '..', '..', 'web', 'review');

/** htm's folder (its exports map hides the bundle's file; its main is dist/htm.js). */
const HTM_DIR = () => path.join(path.dirname(require.resolve('htm')), '..');

const FILES: Record<string, { file: () => string; type: string }> = {
  'index.html': { file: () => path.join(WEB_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
  'app.js': { file: () => path.join(WEB_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
  'api.js': { file: () => path.join(WEB_DIR, 'api.js'), type: 'text/javascript; charset=utf-8' },
  'charts.js': { file: () => path.join(WEB_DIR, 'charts.js'), type: 'text/javascript; charset=utf-8' },
  'part.js': { file: () => path.join(WEB_DIR, 'part.js'), type: 'text/javascript; charset=utf-8' },
  'style.css': { file: () => path.join(WEB_DIR, 'style.css'), type: 'text/css; charset=utf-8' },
  // Preact, its hooks and htm in one ES module: no build step, no CDN.
  'preact-htm.js': { file: () => path.join(HTM_DIR(), 'preact', 'standalone.module.js'), type: 'text/javascript; charset=utf-8' },
};

export const ASSET_NAMES = Object.keys(FILES);

/** Every asset, read now: a missing file fails the start, not a request. */
export function loadAssets(): Map<string, Asset> {
  return new Map(Object.entries(FILES).map(([name, { file, type }]) => [name, { type, body: readFileSync(file()) }]));
}
