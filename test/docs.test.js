'use strict';
// The documentation's examples, run as a reader would run them.
//
// Every fenced block in README.md and docs/*.md is one of:
//   ```js / ```cjs     run with node as a CommonJS script
//   ```mjs             run with node as an ES module
//   ```sh / ```bash    run with bash -e -o pipefail
//   ```text / ```json  shown, not run; a ```text block right after a block that runs
//                      (nothing but blank lines between) is that block's expected stdout
// Scripts are written to test/fixtures/generated/docs/ (inside the repository, so that
// `require('die-inspect')` and `import ... from 'die-inspect'` resolve to this package
// by self-reference) and run with the repository root as their working directory.
// Blocks of one file run in order, each in a fresh process.
//
// A block that cannot run here says so in its info string, ```sh no-run, and its first
// line is a comment giving the reason (`# needs a GPU with TensorRT`).
//
// The rows of README.md's tables that show `npx die-inspect ...` in a code span run too
// (as shell, in document order with the blocks).
//
// Expected output is compared after this normalisation, applied to both sides:
//   - runs of spaces and tabs become one space; lines are trimmed; blank lines at
//     either end are dropped;
//   - a number followed by a unit of time or rate (ms, s, images/s, img/s, parts/s)
//     becomes `#`: timings differ from run to run;
//   - in the expected text, a line that is just `...` matches any number of lines
//     (none included), and `...` within a line matches any text.
// Examples name shipped models by name: a code block that spells models/<file>.onnx fails.
// Relative links and their headings must exist, and so must every lib/ and native/ path
// the documents name.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { execFile } = require('child_process');

const ROOT = path.join(__dirname, '..');
const WORK = path.join(ROOT, 'test', 'fixtures', 'generated', 'docs');
const BLOCK_TIMEOUT_MS = 120000;

const RUNNABLE = { js: 'cjs', cjs: 'cjs', mjs: 'mjs', sh: 'sh', bash: 'sh' };
const SHOWN = new Set(['text', 'json']);
const COMMENT = { cjs: /^\/\/\s*\S+(\s+\S+){2,}/, mjs: /^\/\/\s*\S+(\s+\S+){2,}/, sh: /^#\s*\S+(\s+\S+){2,}/ };

function docFiles() {
  const docs = path.join(ROOT, 'docs');
  const list = fs.existsSync(docs) ? fs.readdirSync(docs).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`) : [];
  return ['README.md', ...list];
}

/** Fenced blocks of a Markdown text: { line, lang, flags, body, endLine }. */
function fencedBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const words = open[2].trim().split(/\s+/).filter(Boolean);
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (close && close[1][0] === fence[0] && close[1].length >= fence.length) break;
      body.push(lines[j]);
    }
    blocks.push({ line: i + 1, endLine: j + 1, lang: (words[0] || '').toLowerCase(), flags: words.slice(1), body: body.join('\n') + '\n' });
    i = j;
  }
  return blocks;
}

/** `npx die-inspect ...` code spans in table rows (README's command table). */
function tableCommands(text) {
  const out = [];
  text.split('\n').forEach((l, i) => {
    if (!/^\s*\|/.test(l)) return;
    for (const m of l.matchAll(/`(npx die-inspect [^`]+)`/g)) out.push({ line: i + 1, lang: 'sh', flags: ['table'], body: m[1] + '\n' });
  });
  return out;
}

/** Each file's blocks with their kind and, for a block that runs, its expected output. */
function collect() {
  const files = [];
  for (const rel of docFiles()) {
    const text = fs.readFileSync(path.join(ROOT, rel), 'utf8');
    const lines = text.split('\n');
    const blocks = fencedBlocks(text);
    blocks.forEach((b, k) => {
      b.file = rel;
      b.kind = RUNNABLE[b.lang] ?? (SHOWN.has(b.lang) ? 'shown' : 'unknown');
      b.noRun = b.flags.includes('no-run');
      const prev = blocks[k - 1];
      if (b.lang === 'text' && prev && prev.kind !== 'shown' && prev.kind !== 'unknown' && !prev.noRun
        && lines.slice(prev.endLine, b.line - 1).every((l) => l.trim() === '')) {
        prev.expected = b.body;
        b.isOutput = true;
      }
    });
    const runs = [...blocks.filter((b) => RUNNABLE[b.lang]), ...(rel === 'README.md' ? tableCommands(text) : [])]
      .map((b) => ({ ...b, file: rel, kind: RUNNABLE[b.lang], noRun: b.flags.includes('no-run') }))
      .sort((a, b) => a.line - b.line);
    files.push({ rel, text, blocks, runs });
  }
  return files;
}

// ---- comparing output -----------------------------------------------------

const TIMED = /-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?=\s?(?:ms|s|images\/s|img\/s|parts\/s)(?![\w/]))/g;

function normalise(text) {
  const lines = text.replace(/\r/g, '').split('\n').map((l) => l.replace(/[ \t]+/g, ' ').trim().replace(TIMED, '#'));
  while (lines.length && lines[0] === '') lines.shift();
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function lineMatcher(expected) {
  if (!expected.includes('...')) return (actual) => actual === expected;
  const re = new RegExp(`^${expected.split('...').map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return (actual) => re.test(actual);
}

/** Whether `actual` lines fit `expected` lines (with `...` wildcards). */
function fits(expected, actual) {
  const matchers = expected.map((l) => (l === '...' ? null : lineMatcher(l)));
  const memo = new Map();
  const go = (e, a) => {
    const key = e * 100003 + a;
    if (memo.has(key)) return memo.get(key);
    let ok;
    if (e === matchers.length) ok = a === actual.length;
    else if (matchers[e] === null) {
      ok = false;
      for (let k = a; k <= actual.length && !ok; k++) ok = go(e + 1, k);
    } else ok = a < actual.length && matchers[e](actual[a]) && go(e + 1, a + 1);
    memo.set(key, ok);
    return ok;
  };
  return go(0, 0);
}

// ---- running blocks -------------------------------------------------------

function scriptFor(block) {
  const ext = block.kind === 'sh' ? 'sh' : block.kind;
  const name = `${block.file.replace(/[^\w]+/g, '_')}-L${block.line}.${ext}`;
  const file = path.join(WORK, name);
  fs.writeFileSync(file, block.body);
  return file;
}

function run(block) {
  const file = scriptFor(block);
  const [cmd, args] = block.kind === 'sh' ? ['bash', ['-e', '-o', 'pipefail', file]] : [process.execPath, [file]];
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' };
  return new Promise((resolve) => {
    const t0 = Date.now();
    execFile(cmd, args, { cwd: ROOT, env, timeout: BLOCK_TIMEOUT_MS, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? (err.code ?? err.signal) : 0, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

function tail(text, n = 30) {
  return text.trim().split('\n').slice(-n).join('\n');
}

// ---- the tests ------------------------------------------------------------

const FILES = collect();
const ALL_RUNS = FILES.flatMap((f) => f.runs);

describe('docs: README.md and docs/*.md', function () {
  before(() => fs.mkdirSync(WORK, { recursive: true }));

  it('every fenced block names a known kind, and every no-run block gives its reason', () => {
    const problems = [];
    for (const f of FILES) {
      for (const b of f.blocks) {
        const where = `${f.rel}:${b.line}`;
        if (b.kind === 'unknown') problems.push(`${where}: fence language '${b.lang}' is none of ${[...Object.keys(RUNNABLE), ...SHOWN].join(', ')}`);
        if (b.noRun) {
          if (!RUNNABLE[b.lang]) problems.push(`${where}: no-run on a block that would not run anyway`);
          const first = b.body.split('\n').find((l) => l.trim() !== '') ?? '';
          if (!COMMENT[RUNNABLE[b.lang]]?.test(first.trim())) problems.push(`${where}: a no-run block starts with a comment saying why (got '${first}')`);
        }
        if (/\bmodels\/[\w.-]+\.onnx\b/.test(b.body)) problems.push(`${where}: name the shipped model instead of its file under models/`);
      }
    }
    assert.deepStrictEqual(problems, []);
    const counted = { run: ALL_RUNS.filter((b) => !b.noRun).length, noRun: ALL_RUNS.filter((b) => b.noRun).length,
      withOutput: ALL_RUNS.filter((b) => b.expected !== undefined).length };
    // A parser that found nothing would pass everything below.
    assert.ok(counted.run >= 20, `only ${counted.run} runnable blocks found`);
    process.stdout.write(`      ${counted.run} blocks run (${counted.withOutput} with expected output), ${counted.noRun} marked no-run\n`);
  });

  it('relative links point at files (and headings) that exist', () => {
    const slugs = new Map();
    const headings = (rel) => {
      if (!slugs.has(rel)) {
        const text = fs.readFileSync(path.join(ROOT, rel), 'utf8').replace(/^ {0,3}(```|~~~)[\s\S]*?^ {0,3}\1\s*$/gm, '');
        slugs.set(rel, new Set([...text.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) => m[1].trim().toLowerCase()
          .replace(/`/g, '').replace(/[^\w\- ]/g, '').replace(/ /g, '-'))));
      }
      return slugs.get(rel);
    };
    const broken = [];
    for (const f of FILES) {
      const prose = f.text.replace(/^ {0,3}(```|~~~)[\s\S]*?^ {0,3}\1\s*$/gm, '');
      for (const m of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1];
        if (/^[a-z]+:/i.test(target)) continue;
        const [file, anchor] = target.split('#');
        const rel = file ? path.normalize(path.join(path.dirname(f.rel), file)) : f.rel;
        if (!fs.existsSync(path.join(ROOT, rel))) broken.push(`${f.rel}: ${target} (no such file)`);
        else if (anchor && rel.endsWith('.md') && !headings(rel).has(anchor)) broken.push(`${f.rel}: ${target} (no such heading)`);
      }
    }
    assert.deepStrictEqual(broken, []);
  });

  it('every lib/ and native/ path they name exists (a folder with files in it)', () => {
    const hasFiles = (p) => {
      const st = fs.statSync(p, { throwIfNoEntry: false });
      return !!st && (st.isFile() || (st.isDirectory() && fs.readdirSync(p).some((e) => hasFiles(path.join(p, e)))));
    };
    // lib/stages/roi/{base,seg}.ts names two files
    const expand = (p) => {
      const m = /\{([^}]*)\}/.exec(p);
      return m ? m[1].split(',').flatMap((alt) => expand(p.slice(0, m.index) + alt + p.slice(m.index + m[0].length))) : [p];
    };
    const missing = [];
    for (const f of FILES) {
      for (const m of f.text.matchAll(/(?<![\w./-])(?:lib|native)\/[\w./{},-]*[\w}/]/g)) {
        for (const p of expand(m[0])) if (!hasFiles(path.join(ROOT, p))) missing.push(`${f.rel}: ${p}`);
      }
    }
    assert.deepStrictEqual(missing, []);
  });

  for (const f of FILES) {
    describe(f.rel, function () {
      this.timeout(BLOCK_TIMEOUT_MS + 10000);
      for (const b of f.runs) {
        const title = `line ${b.line} (${b.flags.includes('table') ? 'table' : b.lang})${b.expected !== undefined ? ', output compared' : ''}`;
        if (b.noRun) {
          it.skip(`${title}: no-run`);
          continue;
        }
        it(title, async () => {
          const r = await run(b);
          assert.strictEqual(r.code, 0, `${f.rel}:${b.line} exited with ${r.code}\n--- stderr\n${tail(r.stderr)}\n--- stdout\n${tail(r.stdout)}`);
          if (b.expected !== undefined) {
            const want = normalise(b.expected), got = normalise(r.stdout);
            assert.ok(fits(want, got), `${f.rel}:${b.line}: output differs from the text block below it\n--- expected\n${want.join('\n')}\n--- got\n${got.join('\n')}`);
          }
        });
      }
    });
  }
});

module.exports = { fencedBlocks, normalise, fits };
