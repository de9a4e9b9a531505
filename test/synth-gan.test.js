'use strict';
// synth with generators (--gan-dies, --gan-packages), checked against tiny generators
// built here whose output is known: a flat colour per class (die_crack red, die_rotation
// blue), boards one flat magenta, green a little z-dependent (0.2 x sigmoid(z[0])).
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { synthesize, decodeImage, DieInspectError, DEFECT_CLASSES } = require('../dist');
const { loadNative } = require('../dist/runtime/binding');
const { apply, insidePolygon } = require('./helpers/geometry');
const { tinyDieGenerator, tinyPackageGenerator } = require('./helpers/onnx');
const { run } = require('./helpers/cli');

const W = 640;
const H = 480;
const SEED = 11;
const COUNT = 32; // two chunks of 16
const CONTEXT = 0.25;
const SIZES = { die_crack: [[0.12, 0.16], [0.08, 0.12]], die_rotation: [[0.4, 0.6]] };
// Dark enough that no exposure (0.64 to 1.44 here) saturates them: blends stay measurable.
const COLORS = { die_crack: [0.6, 0, 0], die_rotation: [0, 0, 0.6] };
const dieGenerator = (o = {}) => tinyDieGenerator({ size: 16, context: CONTEXT, boxSizes: SIZES, colors: COLORS, ...o });

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'di-synth-gan-'));
let dirCount = 0;
const tmp = (name) => fs.mkdtempSync(path.join(TMP, `${name}-${dirCount++}-`));

function writeModel(name, bytes) {
  const file = path.join(TMP, `${name}.onnx`);
  fs.writeFileSync(file, bytes);
  return file;
}

const readMeta = (dir) => JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
const read = (dir, rel) => fs.readFileSync(path.join(dir, rel));

/** Every file under dir, by relative path. */
function tree(dir, rel = '') {
  const out = {};
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = path.join(rel, e.name);
    if (e.isDirectory()) Object.assign(out, tree(dir, r));
    else out[r] = read(dir, r);
  }
  return out;
}

function assertSameTree(a, b, what) {
  const ta = tree(a);
  const tb = tree(b);
  assert.deepStrictEqual(Object.keys(tb).sort(), Object.keys(ta).sort(), what);
  for (const k of Object.keys(ta)) assert.ok(ta[k].equals(tb[k]), `${what}: ${k} differs`);
}

/** [b, g, r] of a decoded BGR image. */
function px(img, x, y) {
  const i = (y * img.width + x) * 3;
  return [img.data[i], img.data[i + 1], img.data[i + 2]];
}

/** Whether a BGR pixel is the generator's colour for the class (exposure, noise and JPEG allowed for). */
function looksLike(label, [b, g, r]) {
  // green up to 0.2 of the colour from z; noise and JPEG chroma on top
  if (label === 'die_crack') return r > 80 && g < 0.5 * r && b < 0.3 * r;
  return b > 80 && g < 0.5 * b && r < 0.3 * b;
}

const primary = (defects) => (defects.some((d) => d.label === 'die_rotation') ? 'die_rotation' : 'die_crack');
const stem = (part) => String(part).padStart(6, '0');

/** The box grown by m on every side. */
const grow = ([x1, y1, x2, y2], mx, my = mx) => [x1 - mx, y1 - my, x2 + mx, y2 + my];
const inBox = ([x1, y1, x2, y2], x, y) => x >= x1 && x <= x2 && y >= y1 && y <= y2;
/** Where the patch went: the label box grown by the context margin. */
const pasteRect = (b) => grow(b, CONTEXT * (b[2] - b[0]), CONTEXT * (b[3] - b[1]));

/** Die centre, unit axes and half sides from its quad (TL, TR, BR, BL). */
function dieFrame(q) {
  const c = q.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
  const ax = [q[1][0] - q[0][0], q[1][1] - q[0][1]];
  const ay = [q[3][0] - q[0][0], q[3][1] - q[0][1]];
  const lx = Math.hypot(...ax);
  const ly = Math.hypot(...ay);
  return { c, ux: [ax[0] / lx, ax[1] / lx], uy: [ay[0] / ly, ay[1] / ly], hw: lx / 2, hh: ly / 2 };
}

/** Pixels of the crop `a` that differ from `b` by more than `tol` outside every box in `keepOut`: [count, largest difference]. */
function diffOutside(a, b, keepOut, tol = 2) {
  let n = 0;
  let worst = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (keepOut.some((k) => inBox(k, x + 0.5, y + 0.5))) continue;
      const p = px(a, x, y);
      const q = px(b, x, y);
      const d = Math.max(...p.map((v, i) => Math.abs(v - q[i])));
      worst = Math.max(worst, d);
      if (d > tol) n++;
    }
  }
  return [n, worst];
}

/** One part rendered by the addon with an override (the crop decoded). */
async function renderPart(index, override) {
  const [part] = await loadNative().synthRender({ seed: SEED, start: index, count: 1, width: W, height: H, crops: true, overrides: [override] });
  return { part, crop: await decodeImage(part.crop) };
}

describe('synth with generators', function () {
  this.timeout(120000);
  const models = {};
  let plainDir;
  let plain;
  let ganDir;
  let gan;
  let ganSummary;
  const progress = [];

  before(async () => {
    models.dies = writeModel('dies', dieGenerator());
    models.packages = writeModel('packages', tinyPackageGenerator({ height: 24, width: 32 }));
    plainDir = tmp('plain');
    await synthesize({ out: plainDir, count: COUNT, seed: SEED, width: W, height: H, crops: true, masks: true });
    plain = readMeta(plainDir);
    ganDir = tmp('gan');
    ganSummary = await synthesize({ out: ganDir, count: COUNT, seed: SEED, width: W, height: H, crops: true, masks: true,
      ganDies: { model: models.dies, share: 1 }, onProgress: (done, total) => progress.push([done, total]) });
    gan = readMeta(ganDir);
  });

  after(() => fs.rmSync(TMP, { recursive: true, force: true }));

  it('with share 1 every defective part gets one generated defect of its class; good parts stay as they were', () => {
    assert.strictEqual(gan.length, COUNT);
    const defective = plain.filter((m) => m.defects.length > 0);
    assert.ok(defective.length >= 10 && defective.length < COUNT, `defective ${defective.length}`);
    assert.ok(defective.some((m) => primary(m.defects) === 'die_crack') && defective.some((m) => primary(m.defects) === 'die_rotation'));
    plain.forEach((p, i) => {
      const g = gan[i];
      assert.deepStrictEqual(g.distractors, p.distractors, p.file);
      assert.deepStrictEqual(g.packageQuad, p.packageQuad, p.file);
      if (p.defects.length === 0) {
        assert.deepStrictEqual(g, p, p.file);
        for (const f of [p.file, p.crop.file, p.mask, `crops/labels/${stem(p.part)}.txt`]) assert.ok(read(ganDir, f).equals(read(plainDir, f)), f);
        return;
      }
      assert.strictEqual(g.defects.length, 1, p.file);
      assert.strictEqual(g.defects[0].label, primary(p.defects), p.file);
      assert.strictEqual(g.defects[0].source, 'gan');
      assert.deepStrictEqual(g.gan, { dies: models.dies });
      // Rendered defect-free: the die upright, as the good parts' dies are.
      assert.ok(Math.abs(g.dieAngle) <= 0.4 + 1e-4, `${p.file}: die angle ${g.dieAngle}`);
      if (primary(p.defects) === 'die_crack') assert.strictEqual(g.dieAngle, p.dieAngle);
    });
    assert.deepStrictEqual(ganSummary.gan.dies, { model: models.dies, sha256: ganSummary.gan.dies.sha256, share: 1, defects: defective.length });
    assert.match(ganSummary.gan.dies.sha256, /^[0-9a-f]{64}$/);
    const counts = {};
    for (const m of gan) for (const d of m.defects) counts[d.label] = (counts[d.label] ?? 0) + 1;
    assert.deepStrictEqual(ganSummary.defects, counts);
    assert.deepStrictEqual(progress, [[16, COUNT], [COUNT, COUNT]]);
  });

  it('places the label boxes by the contract: a rotation box on the die centre, a crack box inside the die, sizes from box_sizes', () => {
    for (const m of gan) {
      for (const d of m.defects) {
        const [x1, y1, x2, y2] = d.cropBox;
        const rel = [(x2 - x1) / m.crop.width, (y2 - y1) / m.crop.height];
        assert.ok(SIZES[d.label].some(([w, h]) => Math.abs(w - rel[0]) < 1e-3 && Math.abs(h - rel[1]) < 1e-3), `${m.file}: ${rel}`);
        assert.ok(x1 >= 0 && y1 >= 0 && x2 <= m.crop.width && y2 <= m.crop.height);
        const f = dieFrame(m.crop.dieQuad);
        if (d.label === 'die_rotation') {
          assert.ok(Math.hypot((x1 + x2) / 2 - f.c[0], (y1 + y2) / 2 - f.c[1]) < 2e-3, `${m.file}: not on the die centre`);
        } else {
          for (const [x, y] of [[x1, y1], [x2, y1], [x2, y2], [x1, y2]]) {
            const v = [x - f.c[0], y - f.c[1]];
            const u = v[0] * f.ux[0] + v[1] * f.ux[1];
            const w = v[0] * f.uy[0] + v[1] * f.uy[1];
            assert.ok(Math.abs(u) <= f.hw + 2e-3 && Math.abs(w) <= f.hh + 2e-3, `${m.file}: corner ${[x, y]} outside the die`);
          }
        }
      }
    }
    // The crack centres are drawn, not fixed: they do not all sit on the die centre.
    const offsets = gan.flatMap((m) => m.defects.filter((d) => d.label === 'die_crack').map((d) => {
      const f = dieFrame(m.crop.dieQuad);
      return Math.hypot((d.cropBox[0] + d.cropBox[2]) / 2 - f.c[0], (d.cropBox[1] + d.cropBox[3]) / 2 - f.c[1]);
    }));
    assert.ok(offsets.filter((o) => o > 3).length >= offsets.length / 2, `offsets ${offsets.map((o) => o.toFixed(1))}`);
  });

  it('image boxes, quads, YOLO crop labels and coco.json all say where the patch went', async () => {
    const coco = JSON.parse(read(ganDir, 'coco.json'));
    for (const m of gan) {
      const lines = read(ganDir, `crops/labels/${stem(m.part)}.txt`).toString().trim().split('\n').filter(Boolean);
      assert.strictEqual(lines.length, m.defects.length);
      const image = coco.images.find((im) => im.file_name === m.file);
      const anns = coco.annotations.filter((a) => a.image_id === image.id);
      assert.strictEqual(anns.length, m.defects.length);
      for (const [k, d] of m.defects.entries()) {
        const [x1, y1, x2, y2] = d.cropBox;
        const corners = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]].map((c) => apply(m.crop.toImage, c));
        corners.forEach((c, j) => assert.ok(Math.hypot(c[0] - d.quad[j][0], c[1] - d.quad[j][1]) < 2e-3, `${m.file}: quad ${j}`));
        const bounds = [Math.min(...corners.map((c) => c[0])), Math.min(...corners.map((c) => c[1])),
          Math.max(...corners.map((c) => c[0])), Math.max(...corners.map((c) => c[1]))];
        bounds.forEach((v, j) => assert.ok(Math.abs(v - d.box[j]) < 2e-3, `${m.file}: box ${j}`));
        const [cls, ...yolo] = lines[k].split(' ').map(Number);
        assert.strictEqual(cls, DEFECT_CLASSES.indexOf(d.label));
        const want = [(x1 + x2) / 2 / m.crop.width, (y1 + y2) / 2 / m.crop.height, (x2 - x1) / m.crop.width, (y2 - y1) / m.crop.height];
        yolo.forEach((v, j) => assert.ok(Math.abs(v - want[j]) < 2e-6, `${m.file}: YOLO ${j}`));
        assert.strictEqual(anns[k].category_id, DEFECT_CLASSES.indexOf(d.label) + 1);
        [d.box[0], d.box[1], d.box[2] - d.box[0], d.box[3] - d.box[1]].forEach((v, j) => assert.ok(Math.abs(v - anns[k].bbox[j]) < 2e-3));
      }
    }
    // The pixels under the boxes are the generator's colour, in the crop and in the full image.
    for (const m of gan.filter((x) => x.defects.length)) {
      const d = m.defects[0];
      const crop = await decodeImage(path.join(ganDir, m.crop.file));
      const img = await decodeImage(path.join(ganDir, m.file));
      const inner = grow(d.cropBox, -3);
      let n = 0;
      let okCrop = 0;
      let okImage = 0;
      for (let y = Math.ceil(inner[1]); y < inner[3]; y++) {
        for (let x = Math.ceil(inner[0]); x < inner[2]; x++) {
          n++;
          if (looksLike(d.label, px(crop, x, y))) okCrop++;
          const [u, v] = apply(m.crop.toImage, [x + 0.5, y + 0.5]);
          if (looksLike(d.label, px(img, Math.floor(u), Math.floor(v)))) okImage++;
        }
      }
      assert.ok(n > 20, `${m.file}: ${n} pixels`);
      assert.ok(okCrop / n > 0.98, `${m.file} crop: ${okCrop}/${n} pixels of the ${d.label} colour`);
      assert.ok(okImage / n > 0.95, `${m.file} image: ${okImage}/${n} pixels of the ${d.label} colour`);
    }
    // ...and no such colour on the plain parts' crops.
    for (const m of plain.slice(0, 8)) {
      const crop = await decodeImage(path.join(plainDir, m.crop.file));
      let hits = 0;
      for (let y = 0; y < crop.height; y += 2) {
        for (let x = 0; x < crop.width; x += 2) if (looksLike('die_crack', px(crop, x, y)) || looksLike('die_rotation', px(crop, x, y))) hits++;
      }
      assert.strictEqual(hits, 0, m.file);
    }
  });

  it('outside the paste rectangle the crop is the defect-free render of the part, and for cracked parts the plain one', async () => {
    let cracked = 0;
    for (const m of gan.filter((x) => x.defects.length)) {
      const d = m.defects[0];
      const crop = await decodeImage(path.join(ganDir, m.crop.file));
      // The blur, two bilinear warps and the JPEG blocks (16 px) reach at most 24 px past the change.
      const keepOut = [grow(pasteRect(d.cropBox), 24)];
      const { part, crop: free } = await renderPart(m.part, { defectFree: true });
      assert.deepStrictEqual(part.labels.filter((l) => l.label !== 'led_crack'), []);
      const [off, worst] = diffOutside(crop, free, keepOut);
      assert.strictEqual(off, 0, `${m.file}: ${off} pixels differ from the defect-free render (largest ${worst})`);
      // Inside the label box it is not.
      const inner = grow(d.cropBox, -2);
      let n = 0;
      let changed = 0;
      for (let y = Math.ceil(inner[1]); y < inner[3]; y++) {
        for (let x = Math.ceil(inner[0]); x < inner[2]; x++) {
          n++;
          const a = px(crop, x, y);
          const b = px(free, x, y);
          if (Math.max(...a.map((v, i) => Math.abs(v - b[i]))) > 30) changed++;
        }
      }
      assert.ok(changed / n > 0.9, `${m.file}: ${changed}/${n} pixels of the label box changed`);
      const p = plain.find((x) => x.part === m.part);
      if (p.defects.every((x) => x.label === 'die_crack')) {
        const old = await decodeImage(path.join(plainDir, p.crop.file));
        const [k, w] = diffOutside(crop, old, [...keepOut, ...p.defects.map((x) => grow(x.cropBox, 24))]);
        assert.strictEqual(k, 0, `${m.file}: ${k} pixels differ from the plain render away from its cracks and the patch (largest ${w})`);
        cracked++;
      }
    }
    assert.ok(cracked >= 3, `cracked ${cracked}`);
  });

  it('blends the patch in: alpha 1 over the label box, falling smoothly to 0 at the edge of the paste rectangle', async () => {
    let checked = 0;
    for (const m of gan.filter((x) => x.defects[0]?.label === 'die_rotation')) {
      const [x1, y1, x2, y2] = m.defects[0].cropBox;
      const ring = CONTEXT * (x2 - x1);
      const crop = await decodeImage(path.join(ganDir, m.crop.file));
      const { crop: free } = await renderPart(m.part, { defectFree: true });
      const cy = (y1 + y2) / 2;
      // How far a pixel has gone from the defect-free render towards the patch colour (0: none, 1: all the way).
      const towards = (xs, side) => {
        let t = 0;
        let n = 0;
        for (let y = Math.round(cy - 6); y <= Math.round(cy + 6); y++) {
          const patch = px(crop, Math.floor(side > 0 ? x2 - 4 : x1 + 4), y);
          const x = Math.floor(xs);
          const a = px(crop, x, y);
          const b = px(free, x, y);
          const span = patch.map((v, i) => v - b[i]);
          const len = span.reduce((acc, v) => acc + v * v, 0);
          if (len < 80 * 80) continue;
          t += span.reduce((acc, v, i) => acc + v * (a[i] - b[i]), 0) / len;
          n++;
        }
        return n ? t / n : NaN;
      };
      for (const side of [1, -1]) {
        const edge = side > 0 ? x2 : x1;
        if (edge + side * ring < 1 || edge + side * ring > crop.width - 1) continue;
        // smoothstep: 0.84 a quarter of the way out, 0.5 half way, 0.16 three quarters of the way.
        const t = [-2 / ring, 0.25, 0.5, 0.75, 0.95].map((f) => towards(edge + side * f * ring, side));
        if (t.some(Number.isNaN)) continue;
        assert.ok(t[0] > 0.9, `${m.file}: ${t[0].toFixed(2)} just inside the box`);
        [0.84375, 0.5, 0.15625].forEach((want, i) => {
          assert.ok(Math.abs(t[i + 1] - want) < 0.12, `${m.file}: ${t[i + 1].toFixed(2)} at ${[0.25, 0.5, 0.75][i]} of the margin, not ${want}`);
        });
        assert.ok(t[4] < 0.08, `${m.file}: ${t[4].toFixed(2)} near the paste rectangle's edge`);
        checked++;
      }
    }
    assert.ok(checked >= 3, `checked ${checked}`);
  });

  it('with share 0 the output is plain synth, byte for byte', async () => {
    const dir = tmp('share0');
    const s = await synthesize({ out: dir, count: COUNT, seed: SEED, width: W, height: H, crops: true, masks: true,
      ganDies: { model: models.dies, share: 0 } });
    assertSameTree(plainDir, dir, 'share 0');
    assert.strictEqual(s.gan.dies.defects, 0);
  });

  it('the same seed and model give the same dataset; the draw per part decides, whatever the share', async () => {
    const a = tmp('half-a');
    const b = tmp('half-b');
    const opts = { count: COUNT, seed: SEED, width: W, height: H, crops: true, masks: true, ganDies: { model: models.dies, share: 0.5 } };
    const s = await synthesize({ out: a, ...opts });
    await synthesize({ out: b, ...opts });
    assertSameTree(a, b, 'same seed');
    const half = readMeta(a);
    const made = half.filter((m) => m.gan);
    const defective = plain.filter((m) => m.defects.length).length;
    assert.strictEqual(s.gan.dies.defects, made.length);
    assert.ok(made.length > 0 && made.length < defective, `${made.length} of ${defective}`);
    for (const m of half) {
      const same = m.gan ? ganDir : plainDir;
      assert.deepStrictEqual(m, (m.gan ? gan : plain)[m.part]);
      for (const f of [m.file, m.crop.file]) assert.ok(read(a, f).equals(read(same, f)), f);
    }
  });

  it('draws z per part: the green the generator adds from z[0] varies from part to part', async () => {
    // green / red in a crack patch is 0.2 x sigmoid(z[0]) / 0.6 whatever the exposure: 1/6 for z = 0.
    const ratios = [];
    for (const m of gan.filter((x) => x.defects[0]?.label === 'die_crack')) {
      const crop = await decodeImage(path.join(ganDir, m.crop.file));
      const inner = grow(m.defects[0].cropBox, -3);
      let g = 0;
      let r = 0;
      for (let y = Math.ceil(inner[1]); y < inner[3]; y++) {
        for (let x = Math.ceil(inner[0]); x < inner[2]; x++) {
          const p = px(crop, x, y);
          g += p[1];
          r += p[2];
        }
      }
      ratios.push(g / r);
    }
    assert.ok(ratios.length >= 4, `${ratios.length} crack parts`);
    assert.ok(ratios.every((q) => q > 0 && q < 0.34), `ratios ${ratios.map((q) => q.toFixed(3))}`);
    const mean = ratios.reduce((a, b) => a + b, 0) / ratios.length;
    const sd = Math.sqrt(ratios.reduce((a, b) => a + (b - mean) ** 2, 0) / ratios.length);
    assert.ok(sd > 0.01, `ratios ${ratios.map((q) => q.toFixed(3))}: sd ${sd}`);
  });

  it('maps classes by name, runs a fixed-batch model in batches, and leaves classes a generator lacks procedural', async () => {
    const reversed = writeModel('reversed', dieGenerator({ names: ['die_rotation', 'die_crack'] }));
    const fixed = writeModel('fixed', dieGenerator({ batch: 1 }));
    for (const model of [reversed, fixed]) {
      const dir = tmp('same');
      await synthesize({ out: dir, count: COUNT, seed: SEED, width: W, height: H, crops: true, masks: true, ganDies: { model, share: 1 } });
      const meta = readMeta(dir);
      meta.forEach((m, i) => assert.deepStrictEqual({ ...m, gan: undefined }, { ...gan[i], gan: undefined }, m.file));
      for (const m of meta) assert.ok(read(dir, m.file).equals(read(ganDir, m.file)), `${path.basename(model)}: ${m.file}`);
    }
    const crackOnly = writeModel('crack-only', dieGenerator({ names: ['die_crack'] }));
    const dir = tmp('crack-only');
    await synthesize({ out: dir, count: COUNT, seed: SEED, width: W, height: H, crops: true, ganDies: { model: crackOnly, share: 1 } });
    readMeta(dir).forEach((m, i) => {
      const p = plain[i];
      if (p.defects.length && primary(p.defects) === 'die_crack') assert.deepStrictEqual(m.defects.map((d) => [d.label, d.source]), [['die_crack', 'gan']]);
      else assert.deepStrictEqual(m.defects, p.defects, m.file);
    });
  });

  it('--gan-packages changes the board behind the package and nothing else', async () => {
    const dir = tmp('boards');
    const s = await synthesize({ out: dir, count: COUNT, seed: SEED, width: W, height: H, crops: true, masks: true,
      ganPackages: { model: models.packages } });
    assert.strictEqual(s.gan.packages.boards, COUNT);
    assert.ok(read(dir, 'coco.json').equals(read(plainDir, 'coco.json')));
    const meta = readMeta(dir);
    meta.forEach((m, i) => {
      assert.deepStrictEqual(m.gan, { packages: models.packages });
      const strip = (x) => ({ ...x, gan: undefined, meansBgr: undefined });
      assert.deepStrictEqual(strip(m), strip(plain[i]), m.file);
      for (const f of [m.mask, `crops/labels/${stem(m.part)}.txt`]) assert.ok(read(dir, f).equals(read(plainDir, f)), f);
    });
    for (const m of meta.slice(0, 6)) {
      const img = await decodeImage(path.join(dir, m.file));
      const old = await decodeImage(path.join(plainDir, m.file));
      const c = m.packageQuad.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
      const scaled = (f) => m.packageQuad.map(([x, y]) => [c[0] + (x - c[0]) * f, c[1] + (y - c[1]) * f]);
      const outer = scaled(1.25);
      const inner = scaled(0.75);
      let board = 0;
      let magenta = 0;
      let plainMagenta = 0;
      let inside = 0;
      let diff = 0;
      for (let y = 0; y < H; y += 4) {
        for (let x = 0; x < W; x += 4) {
          const [b, g, r] = px(img, x, y);
          if (!insidePolygon(outer, [x + 0.5, y + 0.5])) {
            board++;
            if (r > 110 && b > 110 && r - g > 60 && b - g > 60) magenta++;
            const [pb, pg, pr] = px(old, x, y);
            if (pr > 110 && pb > 110 && pr - pg > 60 && pb - pg > 60) plainMagenta++;
          } else if (insidePolygon(inner, [x + 0.5, y + 0.5])) {
            inside++;
            diff += Math.abs(b - px(old, x, y)[0]) + Math.abs(g - px(old, x, y)[1]) + Math.abs(r - px(old, x, y)[2]);
          }
        }
      }
      assert.ok(magenta / board > 0.98, `${m.file}: ${magenta}/${board} board pixels magenta`);
      assert.strictEqual(plainMagenta, 0);
      assert.ok(diff / inside / 3 < 0.5, `${m.file}: the package changed by ${diff / inside / 3} on average`);
    }
    // The boards alone: the generator's, at the image size.
    const alone = tmp('boards-only');
    await synthesize({ out: alone, count: 3, seed: SEED, width: W, height: H, boardsOnly: true, ganPackages: { model: models.packages } });
    for (const m of readMeta(alone)) {
      assert.deepStrictEqual([m.board, m.gan], [true, { packages: models.packages }]);
      const img = await decodeImage(path.join(alone, m.file));
      let magenta = 0;
      for (let i = 0; i < img.data.length; i += 3) {
        const [b, g, r] = [img.data[i], img.data[i + 1], img.data[i + 2]];
        if (r > 110 && b > 110 && r - g > 60 && b - g > 60) magenta++;
      }
      assert.ok(magenta / (W * H) > 0.99, `${m.file}: ${magenta} of ${W * H} pixels magenta`);
    }
    // Both generators at once: the defects of --gan-dies, the boards of --gan-packages.
    const both = tmp('both');
    await synthesize({ out: both, count: COUNT, seed: SEED, width: W, height: H, crops: true,
      ganDies: { model: models.dies, share: 1 }, ganPackages: { model: models.packages } });
    readMeta(both).forEach((m, i) => {
      assert.deepStrictEqual(m.defects, gan[i].defects, m.file);
      assert.deepStrictEqual(m.gan, { ...(gan[i].gan ?? {}), packages: models.packages });
    });
  });

  it('refuses models that do not fit the contract with typed errors, before writing anything', async () => {
    const cases = [
      ['a package generator as --gan-dies', { ganDies: { model: models.packages } }, 'ERR_MODEL_LOAD', /task is 'gan-packages'/],
      ['a die generator as --gan-packages', { ganPackages: { model: models.dies } }, 'ERR_MODEL_LOAD', /task is 'gan-dies'/],
      ['no class input', { ganDies: { model: tinyDieGenerator({ omit: 'class' }) } }, 'ERR_MODEL_LOAD', /inputs are z/],
      ['a class name synth does not have', { ganDies: { model: tinyDieGenerator({ names: ['die_crack', 'scratch'] }) } }, 'ERR_MODEL_LOAD', /scratch/],
      ['no box_sizes', { ganDies: { model: tinyDieGenerator({ metadata: { box_sizes: undefined } }) } }, 'ERR_MODEL_LOAD', /box_sizes/],
      ['no latent', { ganPackages: { model: tinyPackageGenerator({ metadata: { latent: undefined } }) } }, 'ERR_MODEL_LOAD', /latent/],
      ['output of another size', { ganDies: { model: tinyDieGenerator({ size: 32, outputSize: 16 }) } }, 'ERR_MODEL_LOAD', /images/],
      ['a package output not [H, W]', { ganPackages: { model: tinyPackageGenerator({ metadata: { imgsz: '[48, 64]' } }) } }, 'ERR_MODEL_LOAD', /images/],
      ['an output that comes out at another size', { ganDies: { model: tinyDieGenerator({ size: 32, outputSize: 16, declared: 'dynamic' }), share: 1 } },
        'ERR_OUTPUT_LAYOUT', /came as float32 \[\d+, 3, 16, 16\]/],
      ['NaN patches', { ganDies: { model: tinyDieGenerator({ nan: true }), share: 1 } }, 'ERR_NAN_OUTPUT', /NaN/],
      ['NaN boards', { ganPackages: { model: tinyPackageGenerator({ nan: true }) } }, 'ERR_NAN_OUTPUT', /NaN/],
      ['a missing file', { ganDies: { model: path.join(TMP, 'missing.onnx') } }, 'ERR_FILE_NOT_FOUND', /missing\.onnx/],
      ['a share above 1', { ganDies: { model: models.dies, share: 1.5 } }, 'ERR_INVALID_ARG', /share/],
      ['no model', { ganDies: {} }, 'ERR_INVALID_ARG', /ganDies\.model/],
      ['no package to paste on', { boardsOnly: true, ganDies: { model: models.dies } }, 'ERR_INVALID_ARG', /no die to paste/],
    ];
    for (const [what, gen, code, message] of cases) {
      const dir = path.join(TMP, `bad-${dirCount++}`);
      await assert.rejects(synthesize({ out: dir, count: 4, seed: SEED, width: W, height: H, ...gen }), (e) => {
        assert.ok(e instanceof DieInspectError, `${what}: ${e}`);
        assert.strictEqual(e.code, code, `${what}: ${e.code} ${e.message}`);
        assert.match(e.message, message, what);
        return true;
      }, what);
      if (code !== 'ERR_OUTPUT_LAYOUT' && code !== 'ERR_NAN_OUTPUT') assert.ok(!fs.existsSync(dir), `${what}: wrote ${dir}`);
    }
    // The process carries on.
    const dir = tmp('after');
    await synthesize({ out: dir, count: 2, seed: SEED, width: W, height: H, ganDies: { model: models.dies, share: 1 } });
    assert.strictEqual(readMeta(dir).length, 2);
  });

  it('the addon checks overrides before it reads them', async () => {
    const addon = loadNative();
    const patch = { data: new Float32Array(3 * 4 * 4), width: 4, height: 4 };
    const paste = { label: 'die_crack', box: [10, 10, 20, 20], context: 0.25, patch };
    const base = { seed: SEED, start: 0, count: 1, width: W, height: H };
    const bad = [
      [{ overrides: [] }, /one entry per part/],
      [{ overrides: [{ pastes: [{ ...paste, patch: { ...patch, data: new Float32Array(10) } }] }] }, /3 x width x height/],
      [{ overrides: [{ pastes: [{ ...paste, patch: { ...patch, width: 1e6 } }] }] }, /3 x width x height/],
      [{ overrides: [{ pastes: [{ ...paste, patch: { ...patch, data: new Uint8Array(48) } }] }] }, /Float32Array/],
      [{ overrides: [{ pastes: [{ ...paste, patch: { ...patch, data: new Float32Array(48).fill(NaN) } }] }] }, /NaN/],
      [{ overrides: [{ pastes: [{ ...paste, label: 'led_crack' }] }] }, /label/],
      [{ overrides: [{ pastes: [{ ...paste, box: [20, 10, 10, 20] }] }] }, /x1 < x2/],
      [{ overrides: [{ pastes: [{ ...paste, context: -1 }] }] }, /context/],
      [{ overrides: [{ pastes: [{ ...paste, box: [10, 10, 5000, 20] }] }] }, /outside its canvas/],
      [{ overrides: [{ board: { data: new Float32Array(5), width: 2, height: 2 } }] }, /board/],
    ];
    for (const [o, message] of bad) {
      await assert.rejects(Promise.resolve().then(() => addon.synthRender({ ...base, ...o })), (e) => e.code === 'ERR_INVALID_ARG' && message.test(e.message),
        JSON.stringify(o).slice(0, 120));
    }
    const plan = addon.synthPlan({ ...base, count: 3 });
    assert.deepStrictEqual(plan.map((p) => p.index), [0, 1, 2]);
    for (const [k, p] of plan.entries()) {
      const m = plain[k];
      assert.deepStrictEqual(p.defects, [...new Set(m.defects.map((d) => d.label))].sort().reverse());
      assert.deepStrictEqual([p.cropWidth, p.cropHeight], [m.crop.width, m.crop.height]);
      const f = dieFrame(m.crop.dieQuad);
      assert.ok(Math.hypot(p.dieCenter[0] - f.c[0], p.dieCenter[1] - f.c[1]) < 2e-3);
      assert.ok(Math.abs(p.dieWidth - 2 * f.hw) < 2e-3 && Math.abs(p.dieHeight - 2 * f.hh) < 2e-3);
    }
  });

  it('the CLI: --gan-dies, --gan-share and --gan-packages, usage mistakes exit 2', async () => {
    const out = tmp('cli');
    const args = ['synth', '--out', out, '--count', String(COUNT), '--seed', String(SEED), '--size', `${W}x${H}`, '--crops', '--masks'];
    const ok = await run([...args, '--gan-dies', models.dies, '--gan-share', '1', '--json']);
    assert.strictEqual(ok.code, 0, ok.stderr);
    const summary = JSON.parse(ok.stdout);
    assert.deepStrictEqual(summary.gan.dies, ganSummary.gan.dies);
    assertSameTree(ganDir, out, 'CLI and synthesize()');
    const text = await run(['synth', '--out', tmp('cli-text'), '--count', '3', '--seed', '1', '--size', `${W}x${H}`, '--gan-packages', models.packages]);
    assert.strictEqual(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`generated: 3 boards by ${models.packages.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const cases = [
      [['--gan-share', '0.5'], 2, 'ERR_INVALID_ARG'],
      [['--gan-dies', models.dies, '--gan-share', '2'], 2, 'ERR_INVALID_ARG'],
      [['--gan-dies', models.dies, '--gan-share', 'x'], 2, 'ERR_INVALID_ARG'],
      [['--gan-dies', models.dies, '--ep', 'tpu'], 2, 'ERR_INVALID_ARG'],
      [['--gan-dies'], 2, ''],
      // Not usage mistakes: a model that does not fit, a file that is not there.
      [['--gan-dies', models.packages], 1, 'ERR_MODEL_LOAD'],
      [['--gan-dies', path.join(TMP, 'nope.onnx')], 1, 'ERR_FILE_NOT_FOUND'],
    ];
    for (const [extra, code, err] of cases) {
      const r = await run(['synth', '--out', tmp('cli-bad'), '--count', '2', ...extra]);
      assert.strictEqual(r.code, code, `${extra.join(' ')}: ${r.stderr}`);
      if (err) assert.match(r.stderr, new RegExp(`die-inspect: .*\\(${err}\\)`), extra.join(' '));
    }
  });
});
