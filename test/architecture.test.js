'use strict';
// lib/ is built in floors, like native/: each folder imports only from the floors
// below it, and no module reaches itself again through its imports (type-only
// imports count: a circle of types is still a circle for a reader).
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const LIB = path.join(__dirname, '..', 'lib');
// A folder and the floors it may import from (its own included).
const FLOORS = {
  core: [],
  runtime: ['core'],
  stages: ['runtime', 'core'],
  pipeline: ['stages', 'runtime', 'core'],
  tools: ['stages', 'runtime', 'core'],
  eval: ['stages', 'runtime', 'core'],
  cli: ['eval', 'tools', 'pipeline', 'stages', 'runtime', 'core'],
  '.': ['eval', 'tools', 'pipeline', 'stages', 'runtime', 'core'],
};

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sources(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

/** The lib modules one file imports (static, dynamic and type-only), as paths without extension. */
function importsOf(file) {
  const text = fs.readFileSync(file, 'utf8');
  const out = [];
  for (const m of text.matchAll(/(?:from|import\s*\(|require\s*\()\s*'(\.{1,2}\/[^']+)'/g)) {
    const target = path.resolve(path.dirname(file), m[1]);
    for (const cand of [target, path.join(target, 'index')]) {
      if (fs.existsSync(`${cand}.ts`)) {
        out.push(cand);
        break;
      }
    }
  }
  return out;
}

const floorOf = (modulePath) => {
  const rel = path.relative(LIB, modulePath).split(path.sep);
  return rel.length === 1 ? '.' : rel[0];
};

describe('lib/ architecture', () => {
  const graph = new Map(sources(LIB).map((f) => [f.slice(0, -3), importsOf(f)]));

  it('has no import circle', () => {
    const state = new Map();
    const circles = [];
    const visit = (node, stack) => {
      state.set(node, 'open');
      for (const next of graph.get(node) ?? []) {
        if (state.get(next) === 'open') circles.push([...stack.slice(stack.indexOf(next)), next].map((p) => path.relative(LIB, p)).join(' -> '));
        else if (!state.has(next)) visit(next, [...stack, next]);
      }
      state.set(node, 'done');
    };
    for (const node of graph.keys()) if (!state.has(node)) visit(node, [node]);
    assert.deepStrictEqual(circles, []);
  });

  it('imports only downwards: core <- runtime <- stages <- pipeline, tools, eval <- cli', () => {
    const wrong = [];
    for (const [from, targets] of graph) {
      const floor = floorOf(from);
      assert.ok(floor in FLOORS, `${path.relative(LIB, from)}: lib/${floor}/ is not a known floor`);
      for (const t of targets) {
        const to = floorOf(t);
        if (to !== floor && !FLOORS[floor].includes(to)) wrong.push(`${path.relative(LIB, from)} -> ${path.relative(LIB, t)}`);
      }
    }
    assert.deepStrictEqual(wrong, []);
  });

  it('the ROI base knows no strategy; the factory is what Roi.create calls', () => {
    const base = path.join(LIB, 'stages', 'roi', 'base');
    const strategies = ['contour', 'seg', 'sam', 'factory'].map((s) => path.join(LIB, 'stages', 'roi', s));
    assert.deepStrictEqual(graph.get(base).filter((t) => strategies.includes(t)), []);
    const { Roi } = require('../dist');
    return Roi.create({ strategy: 'contour' }).then((roi) => {
      assert.strictEqual(roi.strategy, 'contour');
      roi.close();
    });
  });
});
