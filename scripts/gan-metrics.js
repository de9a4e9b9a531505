#!/usr/bin/env node
'use strict';
// FID, KID and seam scores of trained generators against held-out real images, on a shipped
// classifier's pooled features (not Inception FID: those weights are not available here),
// with sample pictures. The real images come from models/recipes/tools/gan_reference.py,
// in the form the recipes train on:
//
//   REF/train-dies/<class>/*.png  REF/test-dies/<class>/*.png   label crops (held-out: test)
//   REF/train-boards/*.png        REF/test-boards/*.png         whole images at the generator size
//
// KID: the mean and standard deviation over --kid-subsets random subsets of 100 vectors a side.
//
// usage: node scripts/gan-metrics.js --ref DIR [--dies MODEL.onnx] [--boards NAME=MODEL.onnx ...]
//          [--classifier FILE] [--seed 0] [--kid-subsets 100] [--pictures DIR] [--json FILE]
const fs = require('fs');
const path = require('path');
const os = require('os');
const { Classifier, DieGenerator, PackageGenerator, DEFECT_CLASSES, annotateImage, decodeImage, encodeImage, synthesize } = require('../dist');
const { featureVectors, frechetDistance, kernelDistance, seamScore } = require('../dist/eval');

function usage(message) {
  process.stderr.write(`gan-metrics: ${message}\nusage: node scripts/gan-metrics.js --ref DIR [--dies MODEL.onnx] `
    + '[--boards NAME=MODEL.onnx ...] [--classifier FILE] [--seed 0] [--kid-subsets 100] [--pictures DIR] [--json FILE]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { boards: [], classifier: 'models/die-good-defect-resnet18s.onnx', seed: 0, kidSubsets: 100 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--ref') o.ref = value();
    else if (a === '--dies') o.dies = value();
    else if (a === '--boards') {
      const [name, file] = value().split('=');
      if (!file) usage('--boards takes NAME=MODEL.onnx');
      o.boards.push({ name, file });
    } else if (a === '--classifier') o.classifier = value();
    else if (a === '--seed') o.seed = Number(value());
    else if (a === '--kid-subsets') o.kidSubsets = Number(value());
    else if (a === '--pictures') o.pictures = value();
    else if (a === '--json') o.json = value();
    else usage(`unknown option ${a}`);
  }
  if (!o.ref) usage('--ref is required');
  if (!Number.isInteger(o.seed) || o.seed < 0) usage('--seed must be a non-negative integer');
  return o;
}

/** Seeded standard normal values (an LCG through Box-Muller): the latents of every sample. */
function latents(seed, count) {
  let s = (seed * 2654435761 + 1) % 4294967296;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const z = new Float32Array(count);
  for (let i = 0; i < count; i++) z[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return z;
}

/** Planar RGB 0..1 floats [n, 3, h, w] -> interleaved 8-bit RGB images. */
function toImages(planar, n, h, w) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const data = Buffer.alloc(h * w * 3);
    const base = i * 3 * h * w;
    for (let p = 0; p < h * w; p++) {
      for (let c = 0; c < 3; c++) data[p * 3 + c] = Math.round(Math.min(Math.max(planar[base + c * h * w + p], 0), 1) * 255);
    }
    out.push({ data, width: w, height: h, channels: 3, rgb: true });
  }
  return out;
}

function pngs(dir) {
  if (!fs.existsSync(dir)) usage(`${dir} is missing (make it with models/recipes/tools/gan_reference.py)`);
  return fs.readdirSync(dir).filter((f) => f.endsWith('.png')).sort().map((f) => path.join(dir, f));
}

async function decodeAll(files) {
  const out = [];
  for (const f of files) out.push(await decodeImage(f));
  return out;
}

function compare(name, real, fake, o) {
  const kid = kernelDistance(real, fake, { subsets: o.kidSubsets, subsetSize: 100, seed: o.seed });
  return { name, real: real.length, generated: fake.length, fid: frechetDistance(real, fake), kid: kid.mean, kidStd: kid.std };
}

/** A picture: rows of images (same size each row), scaled by an integer factor, 2 px white gaps. */
async function grid(rows, scale) {
  const cell = rows[0][0];
  const w = cell.width * scale;
  const h = cell.height * scale;
  const cols = Math.max(...rows.map((r) => r.length));
  const W = cols * (w + 2) + 2;
  const H = rows.length * (h + 2) + 2;
  const data = Buffer.alloc(W * H * 3, 255);
  rows.forEach((row, r) => row.forEach((img, c) => {
    const bgr = !img.rgb;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const s = (Math.floor(y / scale) * img.width + Math.floor(x / scale)) * img.channels;
        const d = ((2 + r * (h + 2) + y) * W + 2 + c * (w + 2) + x) * 3;
        for (let k = 0; k < 3; k++) data[d + k] = img.data[s + (bgr ? 2 - k : k)];
      }
    }
  }));
  return encodeImage({ data, width: W, height: H, channels: 3, rgb: true }, { format: 'jpg', quality: 88 });
}

/** Halves an image (2x2 means) n times. */
function shrink(img, n) {
  let cur = img;
  for (let t = 0; t < n; t++) {
    const w = cur.width / 2;
    const h = cur.height / 2;
    const c = cur.channels;
    const data = Buffer.alloc(w * h * c);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let k = 0; k < c; k++) {
          const at = (yy, xx) => cur.data[(yy * cur.width + xx) * c + k];
          data[(y * w + x) * c + k] = Math.round((at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1)) / 4);
        }
      }
    }
    cur = { ...cur, data, width: w, height: h };
  }
  return cur;
}

function meanSeam(images, tiles) {
  const s = images.map((img) => seamScore(img, tiles));
  return { ratio: s.reduce((a, v) => a + v.ratio, 0) / s.length, seam: s.reduce((a, v) => a + v.seam, 0) / s.length,
    inside: s.reduce((a, v) => a + v.inside, 0) / s.length };
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const classifier = await Classifier.create(o.classifier);
  const features = (images) => featureVectors(classifier, images, { batch: 32 });
  const report = { classifier: path.basename(o.classifier), seed: o.seed, dies: [], boards: [] };
  const pictures = {};

  if (o.dies) {
    const gen = await DieGenerator.create(o.dies, { classes: DEFECT_CLASSES });
    const heldOut = [];
    for (const [ci, name] of gen.names.entries()) {
      const test = await decodeAll(pngs(path.join(o.ref, 'test-dies', name)));
      const train = await decodeAll(pngs(path.join(o.ref, 'train-dies', name)));
      const n = test.length;
      const fake = toImages(await gen.generate(latents(o.seed * 100 + ci, n * gen.latent), new Array(n).fill(ci)), n, gen.size, gen.size);
      const [ft, fr, fg] = [await features(test), await features(train), await features(fake)];
      heldOut.push(ft);
      report.dies.push({ class: name, floor: compare('real (train) vs real (held-out)', ft, fr, o), gan: compare('GAN vs real (held-out)', ft, fg, o) });
      pictures[`dies-${name}`] = [test.slice(0, 8), fake.slice(0, 8)];
    }
    // a scale for the figures: how far apart the two real classes are
    if (heldOut.length === 2) report.betweenClasses = compare(`real ${gen.names[0]} vs real ${gen.names[1]}`, heldOut[0], heldOut[1], o);
    await gen.close();
  }

  if (o.boards.length) {
    const test = await decodeAll(pngs(path.join(o.ref, 'test-boards')));
    const train = await decodeAll(pngs(path.join(o.ref, 'train-boards')));
    const ft = await features(test);
    const tiles = 4;
    report.boards.push({ ...compare('real (train) vs real (held-out)', ft, await features(train), o), name: 'real (train)',
      seamRatio: meanSeam(test, tiles).ratio });
    const shown = [shrink(test[0], 1), shrink(test[1], 1)];
    const rows = [['real', shown]];
    for (const b of o.boards) {
      const gen = await PackageGenerator.create(b.file);
      const fake = [];
      for (let start = 0; start < test.length; start += 8) {
        const k = Math.min(8, test.length - start);
        fake.push(...toImages(await gen.generate(latents(o.seed * 100 + 50 + start, k * gen.latent)), k, gen.height, gen.width));
      }
      const seam = meanSeam(fake, tiles);
      report.boards.push({ ...compare(`${b.name} vs real (held-out)`, ft, await features(fake), o), name: b.name,
        seamRatio: seam.ratio, seam: seam.seam, inside: seam.inside, meta: { arch: gen.info.metadata.arch, coherence: gen.info.metadata.coherence } });
      rows.push([b.name, [shrink(fake[0], 1), shrink(fake[1], 1)]]);
      await gen.close();
    }
    pictures.boards = rows;
  }
  await classifier.close();

  const f = (v, d = 2) => v.toFixed(d);
  if (report.dies.length) {
    process.stdout.write('| class | set | n | FID | KID x 1000 |\n|---|---|---|---|---|\n');
    for (const d of report.dies) {
      for (const r of [d.floor, d.gan]) {
        process.stdout.write(`| ${d.class} | ${r.name} | ${r.real} / ${r.generated} | ${f(r.fid)} | ${f(r.kid * 1000)} ± ${f(r.kidStd * 1000)} |\n`);
      }
    }
    const b = report.betweenClasses;
    if (b) process.stdout.write(`| both | ${b.name} | ${b.real} / ${b.generated} | ${f(b.fid)} | ${f(b.kid * 1000)} ± ${f(b.kidStd * 1000)} |\n`);
  }
  if (report.boards.length) {
    process.stdout.write('\n| boards | n | FID | KID x 1000 | seam ratio |\n|---|---|---|---|---|\n');
    for (const r of report.boards) {
      process.stdout.write(`| ${r.name} | ${r.real} / ${r.generated} | ${f(r.fid)} | ${f(r.kid * 1000)} ± ${f(r.kidStd * 1000)} | ${f(r.seamRatio, 3)} |\n`);
    }
  }
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(report, null, 2) + '\n');
  if (o.pictures) {
    fs.mkdirSync(o.pictures, { recursive: true });
    const dieRows = Object.entries(pictures).filter(([k]) => k.startsWith('dies-')).flatMap(([, rows]) => rows);
    if (dieRows.length) fs.writeFileSync(path.join(o.pictures, 'gan-dies.jpg'), await grid(dieRows, 2));
    if (o.dies) {
      const parts = await pastedParts(o.dies);
      fs.writeFileSync(path.join(o.pictures, 'gan-pasted.jpg'), await grid([parts.slice(0, 3), parts.slice(3, 6)], 1));
    }
    if (pictures.boards) fs.writeFileSync(path.join(o.pictures, 'gan-boards.jpg'), await grid(pictures.boards.map(([, imgs]) => imgs), 1));
  }
}

/** Six parts of `synth --gan-dies MODEL --gan-share 1`, their upright crops with each generated label box drawn. */
async function pastedParts(model) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-metrics-'));
  try {
    await synthesize({ out: dir, count: 12, seed: 5, crops: true, goodFraction: 0, ganDies: { model, share: 1 } });
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8')).slice(0, 6);
    const crops = [];
    for (const m of meta) {
      const shapes = m.defects.map((d) => {
        const [x1, y1, x2, y2] = d.cropBox;
        return { type: 'polygon', points: [[x1, y1], [x2, y1], [x2, y2], [x1, y2]], color: d.label === 'die_crack' ? [0, 0, 255] : [255, 128, 0],
          thickness: 2, label: d.label };
      });
      const png = await annotateImage(path.join(dir, m.crop.file), shapes, { format: 'png' });
      crops.push(await decodeImage(png));
    }
    // one size for the grid: crop the top-left of each to the smallest
    const w = Math.min(...crops.map((c) => c.width));
    const h = Math.min(...crops.map((c) => c.height));
    return crops.map((c) => {
      const data = Buffer.alloc(w * h * 3);
      for (let y = 0; y < h; y++) c.data.copy(data, y * w * 3, y * c.width * 3, y * c.width * 3 + w * 3);
      return { data, width: w, height: h, channels: 3 };
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`gan-metrics: ${e.message}\n`);
  process.exit(1);
});
