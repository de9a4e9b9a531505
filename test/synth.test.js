'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { synthesize, decodeImage, DieInspectError } = require('../dist');
const { apply, insidePolygon, polygonMaskIoU, polygonArea } = require('./helpers/geometry');

const W = 640;
const H = 480;

function tmp(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `di-synth-${name}-`));
}

function files(dir) {
  return fs.readdirSync(dir).sort().map((f) => fs.readFileSync(path.join(dir, f)));
}

function gray(img, x, y) {
  const i = (y * img.width + x) * 3;
  return (img.data[i] + img.data[i + 1] + img.data[i + 2]) / 3;
}

describe('synth', function () {
  this.timeout(120000);
  let dir;
  let meta;

  before(async () => {
    dir = tmp('a');
    await synthesize({ out: dir, count: 24, seed: 7, width: W, height: H, crops: true, masks: true,
      modes: ['brightfield', 'darkfield-white', 'darkfield-blue'] });
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
  });

  it('writes the documented layout', () => {
    assert.strictEqual(meta.length, 72);
    for (const f of ['coco.json', 'crops/data.yaml']) assert.ok(fs.existsSync(path.join(dir, f)), f);
    assert.strictEqual(fs.readdirSync(path.join(dir, 'crops/images')).length, 24);
    assert.strictEqual(fs.readdirSync(path.join(dir, 'crops/labels')).length, 24);
    assert.match(fs.readFileSync(path.join(dir, 'crops/data.yaml'), 'utf8'), /names: \[die_crack, die_rotation\]/);
    const coco = JSON.parse(fs.readFileSync(path.join(dir, 'coco.json'), 'utf8'));
    assert.strictEqual(coco.images.length, 72);
    assert.strictEqual(coco.annotations.length, meta.reduce((s, m) => s + m.defects.length, 0));
    for (const m of meta) assert.ok(fs.existsSync(path.join(dir, m.file)), m.file);
  });

  it('is deterministic for a seed: identical labels, meta and images', async () => {
    const again = tmp('b');
    await synthesize({ out: again, count: 24, seed: 7, width: W, height: H, crops: true, masks: true,
      modes: ['brightfield', 'darkfield-white', 'darkfield-blue'] });
    for (const f of ['meta.json', 'coco.json', 'crops/data.yaml']) {
      assert.ok(fs.readFileSync(path.join(dir, f)).equals(fs.readFileSync(path.join(again, f))), f);
    }
    assert.deepStrictEqual(files(path.join(again, 'crops/labels')), files(path.join(dir, 'crops/labels')));
    assert.deepStrictEqual(files(path.join(again, 'images')), files(path.join(dir, 'images')));
    const other = tmp('c');
    await synthesize({ out: other, count: 4, seed: 8, width: W, height: H });
    const m8 = JSON.parse(fs.readFileSync(path.join(other, 'meta.json'), 'utf8'));
    assert.notDeepStrictEqual(m8[0].packageQuad, meta[0].packageQuad);
  });

  it('keeps about a third of the parts defect-free and both defect classes present', () => {
    const bf = meta.filter((m) => m.mode === 'brightfield');
    const good = bf.filter((m) => m.defects.length === 0).length;
    assert.ok(good >= 3 && good <= 16, `good ${good}`);
    assert.ok(bf.some((m) => m.defects.some((d) => d.label === 'die_crack')));
    assert.ok(bf.some((m) => m.defects.some((d) => d.label === 'die_rotation')));
    for (const m of bf) {
      const rotated = m.defects.some((d) => d.label === 'die_rotation');
      if (rotated) assert.ok(Math.abs(m.dieAngle) >= 1 && Math.abs(m.dieAngle) <= 15, String(m.dieAngle));
      else assert.ok(Math.abs(m.dieAngle) < 0.5, String(m.dieAngle));
    }
  });

  it('package quad bounds the rendered package (mask IoU > 0.98)', async () => {
    for (const m of meta.filter((x) => x.mode === 'brightfield').slice(0, 6)) {
      const mask = await decodeImage(path.join(dir, m.mask));
      const one = Buffer.alloc(mask.width * mask.height);
      for (let i = 0; i < one.length; i++) one[i] = mask.data[3 * i];
      const iou = polygonMaskIoU(m.packageQuad, one, mask.width, mask.height);
      assert.ok(iou > 0.98, `${m.file}: IoU ${iou}`);
      // A rectangle of the crop's size, posed rigidly.
      assert.ok(Math.abs(polygonArea(m.packageQuad) - m.crop.width * m.crop.height) < 1e-3 * m.crop.width * m.crop.height);
    }
  });

  it('crop coordinates map back to the image through the homography', async () => {
    for (const m of meta.filter((x) => x.mode === 'brightfield').slice(0, 8)) {
      const corners = [[0, 0], [m.crop.width, 0], [m.crop.width, m.crop.height], [0, m.crop.height]];
      corners.forEach((c, i) => {
        const p = apply(m.crop.toImage, c);
        assert.ok(Math.hypot(p[0] - m.packageQuad[i][0], p[1] - m.packageQuad[i][1]) < 1e-2, `corner ${i}`);
      });
      for (const d of m.defects) {
        const [x1, y1, x2, y2] = d.cropBox;
        const mapped = [[x1, y1], [x2, y1], [x2, y2], [x1, y2]].map((c) => apply(m.crop.toImage, c));
        const c = apply(m.crop.toImage, [(x1 + x2) / 2, (y1 + y2) / 2]);
        assert.ok(c[0] > d.box[0] && c[0] < d.box[2] && c[1] > d.box[1] && c[1] < d.box[3], `${m.file} ${d.label}`);
        for (const p of mapped) assert.ok(p[0] > -1 && p[0] < W + 1 && p[1] > -1 && p[1] < H + 1);
      }
      // The crop holds the same pixels as the image at mapped positions (both JPEG-compressed).
      const crop = await decodeImage(path.join(dir, m.crop.file));
      const img = await decodeImage(path.join(dir, m.file));
      let diff = 0;
      let n = 0;
      for (let y = 10; y < crop.height - 10; y += 7) {
        for (let x = 10; x < crop.width - 10; x += 7) {
          const [u, v] = apply(m.crop.toImage, [x + 0.5, y + 0.5]);
          diff += Math.abs(gray(crop, x, y) - gray(img, Math.floor(u), Math.floor(v)));
          n++;
        }
      }
      assert.ok(diff / n < 12, `${m.file}: mean abs diff ${diff / n}`);
    }
  });

  it('die quad in the crop outlines the bright die', async () => {
    for (const m of meta.filter((x) => x.mode === 'brightfield').slice(0, 8)) {
      const crop = await decodeImage(path.join(dir, m.crop.file));
      let inside = 0;
      let ni = 0;
      let outside = 0;
      let no = 0;
      const c = m.crop.dieQuad.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
      const shrink = (q, f) => q.map(([x, y]) => [c[0] + (x - c[0]) * f, c[1] + (y - c[1]) * f]);
      const inner = shrink(m.crop.dieQuad, 0.9);
      const outer = shrink(m.crop.dieQuad, 1.15);
      for (let y = 0; y < crop.height; y += 3) {
        for (let x = 0; x < crop.width; x += 3) {
          const p = [x + 0.5, y + 0.5];
          if (insidePolygon(inner, p)) { inside += gray(crop, x, y); ni++; }
          else if (insidePolygon(outer, p) && !insidePolygon(shrink(m.crop.dieQuad, 1.03), p)) { outside += gray(crop, x, y); no++; }
        }
      }
      assert.ok(inside / ni > outside / no + 40, `${m.file}: die ${inside / ni} ring ${outside / no}`);
    }
  });

  it('draws cracks inside their boxes: dark die pixels lie in die_crack boxes', async () => {
    let checked = 0;
    for (const m of meta.filter((x) => x.mode === 'brightfield')) {
      const cracks = m.defects.filter((d) => d.label === 'die_crack');
      if (!cracks.length || m.defects.length !== cracks.length) continue;
      const crop = await decodeImage(path.join(dir, m.crop.file));
      const c = m.crop.dieQuad.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
      const inner = m.crop.dieQuad.map(([x, y]) => [c[0] + (x - c[0]) * 0.8, c[1] + (y - c[1]) * 0.8]);
      let dark = 0;
      let inBox = 0;
      for (let y = 0; y < crop.height; y++) {
        for (let x = 0; x < crop.width; x++) {
          if (!insidePolygon(inner, [x + 0.5, y + 0.5]) || gray(crop, x, y) > 70) continue;
          dark++;
          if (cracks.some((d) => x + 0.5 >= d.cropBox[0] - 2 && x + 0.5 <= d.cropBox[2] + 2 && y + 0.5 >= d.cropBox[1] - 2 && y + 0.5 <= d.cropBox[3] + 2)) inBox++;
        }
      }
      if (dark < 5) continue; // a light scratch or a chip at the edge
      assert.ok(inBox / dark > 0.9, `${m.file}: ${inBox}/${dark} dark die pixels in crack boxes`);
      checked++;
    }
    assert.ok(checked >= 2, `checked ${checked}`);
  });

  it('renders each acquisition mode so the study\'s mean rule recovers it', async () => {
    for (const m of meta) {
      const img = await decodeImage(path.join(dir, m.file));
      const sums = [0, 0, 0];
      for (let i = 0; i < img.data.length; i += 3) for (let c = 0; c < 3; c++) sums[c] += img.data[i + c];
      const [b, g, r] = sums.map((s) => s / (img.width * img.height));
      const mode = b > 15 && g > 15 && r > 15 ? 'brightfield' : r > b ? 'darkfield-white' : 'darkfield-blue';
      assert.strictEqual(mode, m.mode, `${m.file}: means ${[b, g, r]}`);
    }
  });

  it('rejects bad options with typed errors', async () => {
    await assert.rejects(synthesize({ out: tmp('d'), count: -1 }), (e) => e instanceof DieInspectError && e.code === 'ERR_INVALID_ARG');
    await assert.rejects(synthesize({ out: tmp('e'), count: 2, modes: ['uv'] }), (e) => e.code === 'ERR_INVALID_ARG');
    await assert.rejects(synthesize({ out: tmp('f'), count: 2, width: 10, height: 10 }), (e) => e.code === 'ERR_INVALID_ARG');
    await assert.rejects(synthesize({ out: tmp('g'), count: 2, boardsOnly: true, crops: true }), (e) => e.code === 'ERR_INVALID_ARG');
  });

  it('boardsOnly draws the same board with no package: equal outside the package mask, different inside', async () => {
    const out = tmp('boards');
    await synthesize({ out, count: 4, seed: 7, width: W, height: H, boardsOnly: true });
    const boards = JSON.parse(fs.readFileSync(path.join(out, 'meta.json'), 'utf8'));
    assert.deepStrictEqual(boards.map((b) => [b.file, b.board]), [0, 1, 2, 3].map((i) => [`images/00000${i}.jpg`, true]));
    assert.ok(!fs.existsSync(path.join(out, 'coco.json')) || JSON.parse(fs.readFileSync(path.join(out, 'coco.json'))).annotations.length === 0);
    for (let part = 0; part < 4; ++part) {
      const board = await decodeImage(fs.readFileSync(path.join(out, `images/00000${part}.jpg`)));
      const full = await decodeImage(fs.readFileSync(path.join(dir, `images/00000${part}.jpg`)));
      const mask = await decodeImage(fs.readFileSync(path.join(dir, `masks/00000${part}.png`)));
      let outside = 0; let outsideDiff = 0; let inside = 0; let insideDiff = 0;
      for (let y = 8; y < H - 8; y += 3) {
        for (let x = 8; x < W - 8; x += 3) {
          // stay clear of the soft package border
          let near = false;
          for (const [dx, dy] of [[0, 0], [-8, 0], [8, 0], [0, -8], [0, 8]]) near = near || mask.data[((y + dy) * W + x + dx) * 3] > 0;
          const d = Math.abs(gray(board, x, y) - gray(full, x, y));
          if (!near) { outside += 1; outsideDiff += d; }
          if (mask.data[(y * W + x) * 3] > 0) { inside += 1; insideDiff += d; }
        }
      }
      assert.ok(outsideDiff / outside < 3, `part ${part}: outside the package mean |diff| ${(outsideDiff / outside).toFixed(2)}`);
      assert.ok(insideDiff / inside > 20, `part ${part}: inside the package mean |diff| ${(insideDiff / inside).toFixed(2)}`);
    }
  });
});
