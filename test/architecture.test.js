'use strict';
// lib/ is built in floors, like native/: each folder imports only from the floors
// below it, and no module reaches itself again through its imports (type-only
// imports count: a circle of types is still a circle for a reader).
const assert = require('assert');
const fs = require('fs');
const path = require('path');

const LIB = path.join(__dirname, '..', 'lib');
const NATIVE_BINDING = path.join(__dirname, '..', 'native', 'binding');
// A folder and the floors it may import from (its own included).
const FLOORS = {
  core: [],
  runtime: ['core'],
  stages: ['runtime', 'core'],
  pipeline: ['stages', 'runtime', 'core'],
  tools: ['stages', 'runtime', 'core'],
  eval: ['stages', 'runtime', 'core'],
  serve: ['pipeline', 'stages', 'runtime', 'core'],
  cli: ['serve', 'eval', 'tools', 'pipeline', 'stages', 'runtime', 'core'],
  '.': ['serve', 'eval', 'tools', 'pipeline', 'stages', 'runtime', 'core'],
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

  it('imports only downwards: core <- runtime <- stages <- pipeline, tools, eval <- serve <- cli', () => {
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

  it('has no line over 140 characters', () => {
    const long = [];
    for (const file of sources(LIB)) {
      fs.readFileSync(file, 'utf8').split(/\r?\n/).forEach((line, i) => {
        const length = [...line].length;
        if (length > 140) long.push(`${path.relative(LIB, file)}:${i + 1} (${length})`);
      });
    }
    assert.deepStrictEqual(long, []);
  });
});

// The JS <-> C++ boundary is one typed contract: lib/runtime/binding.ts declares every
// export and Session method the C++ side registers, with named option and result types;
// nothing else casts the addon or re-declares a piece of it, and the options that reach
// it are typed (no Record<string, unknown>), mapped in lib/runtime/native-options.ts.
describe('the native contract', () => {
  const BINDING = path.join(LIB, 'runtime', 'binding.ts');
  const MAPPING = path.join(LIB, 'runtime', 'native-options.ts');
  const read = (file) => fs.readFileSync(file, 'utf8');
  const rel = (file) => path.relative(LIB, file);
  const uncommented = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

  /** Index of the bracket closing the one at `open`. */
  function closing(text, open) {
    const pairs = { '(': ')', '{': '}', '[': ']' };
    const stack = [];
    for (let i = open; i < text.length; i++) {
      if (pairs[text[i]]) stack.push(pairs[text[i]]);
      else if (text[i] === stack[stack.length - 1] && (stack.pop(), stack.length === 0)) return i;
    }
    throw new Error(`unbalanced bracket at ${open}`);
  }

  /** Splits at the commas or semicolons that are not inside brackets. */
  function topLevel(text, separator) {
    const parts = [];
    let depth = 0;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      if ('({['.includes(text[i])) depth++;
      else if (')}]'.includes(text[i])) depth--;
      else if (depth === 0 && text[i] === separator) {
        parts.push(text.slice(start, i));
        start = i + 1;
      }
    }
    parts.push(text.slice(start));
    return parts.map((p) => p.trim()).filter(Boolean);
  }

  /** The members of every interface a source declares, by interface name. */
  function interfaces(text) {
    const code = uncommented(text);
    const out = new Map();
    for (const m of code.matchAll(/\binterface\s+(\w+)[^{]*\{/g)) {
      const open = m.index + m[0].length - 1;
      out.set(m[1], topLevel(code.slice(open + 1, closing(code, open)), ';'));
    }
    return out;
  }

  const memberName = (member) => (/^(?:readonly\s+)?([A-Za-z_$][\w$]*)\??\s*[:(<]/.exec(member) ?? [])[1];
  const declared = interfaces(read(BINDING));
  const namesOf = (iface) => declared.get(iface).map(memberName).sort();
  const registered = (pattern) => fs.readdirSync(NATIVE_BINDING).filter((f) => f.endsWith('.cc'))
    .flatMap((f) => [...read(path.join(NATIVE_BINDING, f)).matchAll(pattern)].map((m) => m[1])).sort();

  it('declares every export the C++ side registers, and nothing it does not', () => {
    const exports = registered(/exports\.Set\("(\w+)"/g);
    assert.ok(exports.length > 10, 'no exports.Set() found in native/binding/');
    assert.deepStrictEqual(namesOf('NativeAddon'), exports);
  });

  it('declares every Session method', () => {
    assert.deepStrictEqual(namesOf('NativeSession'), registered(/InstanceMethod<[^>]*>\("(\w+)"\)/g));
  });

  it('binding.ts has no index signature and takes no untyped options', () => {
    const loose = [];
    for (const [name, members] of declared) {
      for (const m of members) if (m.startsWith('[')) loose.push(`${name}: ${m}`);
    }
    for (const name of ['NativeAddon', 'NativeSession']) {
      for (const m of declared.get(name)) if (/\b(unknown|any|object)\b/.test(m)) loose.push(`${name}: ${m}`);
    }
    assert.deepStrictEqual(loose, []);
  });

  const others = sources(LIB).filter((f) => f !== BINDING);

  it('nothing outside binding.ts casts the addon or declares a piece of it', () => {
    const found = [];
    for (const file of others) {
      const code = uncommented(read(file));
      if (/loadNative\(\)\s*as\b/.test(code)) found.push(`${rel(file)}: loadNative() cast`);
      if (/\bas\s+unknown\s+as\s+Native/.test(code)) found.push(`${rel(file)}: cast to a Native type`);
      for (const m of code.matchAll(/\b(?:interface|type)\s+(Native\w*)/g)) found.push(`${rel(file)}: declares ${m[1]}`);
    }
    assert.deepStrictEqual(found, []);
  });

  // A module reaches the addon when it takes a value (loadNative, a mapping) from binding.ts or native-options.ts.
  const valueImports = (file) => [...read(file).matchAll(/^import\s+(?!type\b)[^;]*?from\s*'(\.{1,2}\/[^']+)'/gm)]
    .map((m) => `${path.resolve(path.dirname(file), m[1])}.ts`);
  const reaching = sources(LIB).filter((f) => [BINDING, MAPPING].includes(f) || valueImports(f).some((t) => [BINDING, MAPPING].includes(t)));

  it('no Record<string, unknown> where options reach the addon', () => {
    assert.ok(reaching.length > 5);
    assert.deepStrictEqual(reaching.filter((f) => /Record<string,\s*unknown>/.test(uncommented(read(f)))).map(rel), []);
  });

  it('a native call with mapped options gets them from native-options.ts, not an object literal', () => {
    const calls = /native\(\(\) =>\s*[\w$]+(?:\(\))?(?:\.[\w$]+(?:\(\))?)*\.(createSession|detect|segment|classify|roiCapture|samSegment|synthRender)\(/g;
    const literal = [];
    let seen = 0;
    for (const file of others) {
      const code = uncommented(read(file));
      for (const m of code.matchAll(calls)) {
        seen++;
        const open = m.index + m[0].length - 1;
        const args = topLevel(code.slice(open + 1, closing(code, open)), ',');
        if (args[args.length - 1].startsWith('{')) literal.push(`${rel(file)}: ${m[1]}(..., ${args[args.length - 1].slice(0, 40)}...)`);
      }
    }
    assert.ok(seen >= 7, `found ${seen} native calls`);
    assert.deepStrictEqual(literal, []);
  });

  it('every mapping in native-options.ts has a caller', () => {
    const mappings = [...read(MAPPING).matchAll(/export function (\w+)/g)].map((m) => m[1]);
    const unused = mappings.filter((name) => !others.some((f) => f !== MAPPING && new RegExp(`\\b${name}\\(`).test(read(f))));
    assert.deepStrictEqual(unused, []);
  });
});
