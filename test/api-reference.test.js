'use strict';
// docs/api.md lists exactly what the package exports: the root (lib/index.ts) and the
// die-inspect/eval subpath (lib/eval/index.ts), values as the built entry points have
// them, types as the index files declare them.
//
// A name counts as documented where api.md gives it a row in a reference table (a table
// whose first header cell is `export`; each backticked name at the start of its first
// cell) or a heading of its own (`## Detector`). Tables and headings under a heading
// that says `die-inspect/eval` document the subpath; the others the root.
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const API_MD = path.join(ROOT, 'docs', 'api.md');

/** Names an index file exports as types (`export type { A, B as C } from ...`). */
function typeExports(file) {
  const text = fs.readFileSync(file, 'utf8');
  const names = [];
  for (const m of text.matchAll(/export\s+type\s*\{([^}]*)\}/g)) {
    for (const part of m[1].split(',').map((s) => s.trim()).filter(Boolean)) names.push(part.split(/\s+as\s+/).pop());
  }
  for (const m of text.matchAll(/export\s+(?:type|interface)\s+(\w+)/g)) names.push(m[1]);
  return names;
}

function valueExports(entry) {
  return Object.keys(require(entry)).filter((n) => n !== 'default' && n !== '__esModule');
}

/** { root: { tables: Map(name -> line), headings: Set }, eval: ... } from api.md. */
function documented() {
  const out = { root: { tables: new Map(), headings: new Set() }, eval: { tables: new Map(), headings: new Set() } };
  const lines = fs.readFileSync(API_MD, 'utf8').split('\n');
  let section = 'root';
  let fence = null;
  let inTable = false;
  lines.forEach((line, i) => {
    const f = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (f && (!fence || f[1][0] === fence[0])) {
      fence = fence ? null : f[1];
      return;
    }
    if (fence) return;
    const h = /^(#{1,6})\s+(.+)$/.exec(line);
    if (h) {
      section = h[2].includes('die-inspect/eval') ? 'eval' : 'root';
      const name = /^`?([A-Za-z_$][\w$]*)`?$/.exec(h[2].trim());
      if (name) out[section].headings.add(name[1]);
      inTable = false;
      return;
    }
    if (!line.startsWith('|')) {
      inTable = false;
      return;
    }
    const cells = line.split('|').slice(1, -1).map((c) => c.trim());
    if (/^\|\s*-/.test(line)) return;
    if (!inTable) {
      inTable = cells[0] === 'export' ? 'reference' : 'other';
      return;
    }
    if (inTable !== 'reference') return;
    for (const m of cells[0].matchAll(/`([A-Za-z_$][\w$]*)[^`]*`/g)) out[section].tables.set(m[1], i + 1);
  });
  return out;
}

describe('docs/api.md lists the exports', () => {
  const docs = documented();
  const entries = {
    root: { label: "'die-inspect'", values: valueExports(path.join(ROOT, 'dist')), types: typeExports(path.join(ROOT, 'lib', 'index.ts')) },
    eval: { label: "'die-inspect/eval'", values: valueExports(path.join(ROOT, 'dist', 'eval')), types: typeExports(path.join(ROOT, 'lib', 'eval', 'index.ts')) },
  };

  it('found the exports and the reference tables', () => {
    // a parser that found nothing would pass the rest
    for (const [k, e] of Object.entries(entries)) {
      assert.ok(e.values.length >= 10 && e.types.length >= 10, `${k}: ${e.values.length} values, ${e.types.length} types`);
      assert.ok(docs[k].tables.size >= 20, `${k}: ${docs[k].tables.size} names in reference tables`);
    }
  });

  for (const k of ['root', 'eval']) {
    it(`every value and type of ${entries[k].label} has its row or heading`, () => {
      const e = entries[k];
      const missing = [...e.values, ...e.types].filter((n) => !docs[k].tables.has(n) && !docs[k].headings.has(n));
      assert.deepStrictEqual(missing, [], `exported by ${e.label} but not in docs/api.md`);
    });

    it(`every name in the reference tables of ${entries[k].label} is exported by it`, () => {
      const e = entries[k];
      const known = new Set([...e.values, ...e.types]);
      const unknown = [...docs[k].tables].filter(([n]) => !known.has(n)).map(([n, line]) => `docs/api.md:${line}: ${n}`);
      assert.deepStrictEqual(unknown, [], `in docs/api.md but not exported by ${e.label}`);
    });
  }
});
