'use strict';
const assert = require('assert');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Roi, synthesize, encodeImage, DieInspectError } = require('../dist');
const { convexIoU, angleDifference, applyHomography } = require('../dist/eval');

function median(a) {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

describe('ROI capture (contour)', function () {
  this.timeout(120000);
  let dir;
  let meta;
  let roi;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-roi-'));
    await synthesize({ out: dir, count: 16, seed: 21, modes: ['brightfield', 'darkfield-white', 'darkfield-blue'] });
    meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    roi = await Roi.create({ strategy: 'contour' });
  });

  it('recovers the acquisition mode of every synthetic image with the study\'s rule', async () => {
    const res = await roi.capture(meta.map((m) => path.join(dir, m.file)));
    res.forEach((r, i) => assert.strictEqual(r.mode, meta[i].mode, meta[i].file));
  });

  it('finds the package quad, its full-circle angle and the die angle against ground truth', async () => {
    const bf = meta.filter((m) => m.mode === 'brightfield');
    const res = await roi.capture(bf.map((m) => path.join(dir, m.file)));
    const corner = [];
    const ious = [];
    const angle = [];
    const die = [];
    res.forEach((r, i) => {
      const m = bf[i];
      assert.strictEqual(r.status, 'ok', m.file);
      ious.push(convexIoU(r.quad, m.packageQuad));
      corner.push(r.quad.reduce((s, p, k) => s + Math.hypot(p[0] - m.packageQuad[k][0], p[1] - m.packageQuad[k][1]), 0) / 4);
      angle.push(angleDifference(r.angle, m.packageAngle));
      die.push(Math.abs(r.die.angle - m.dieAngle));
      assert.strictEqual(r.crop.width, r.cropWidth);
      assert.strictEqual(r.crop.data.length, r.cropWidth * r.cropHeight * 3);
    });
    assert.ok(median(ious) > 0.99, `IoU median ${median(ious)}`);
    assert.ok(ious.filter((v) => v > 0.98).length >= 0.9 * ious.length, `IoUs ${ious}`);
    assert.ok(median(corner) < 1.0, `corner error median ${median(corner)}`);
    assert.ok(median(angle) < 0.1, `angle error median ${median(angle)}`);
    assert.ok(angle.filter((a) => a < 1).length >= 0.9 * angle.length, `angles ${angle}`);
    assert.ok(median(die) < 0.3, `die angle error median ${median(die)}`);
  });

  it('flags die rotation beyond the tolerance', async () => {
    const bf = meta.filter((m) => m.mode === 'brightfield');
    const res = await roi.capture(bf.map((m) => path.join(dir, m.file)));
    let agree = 0;
    res.forEach((r, i) => {
      const truth = bf[i].defects.some((d) => d.label === 'die_rotation');
      if (r.die.rotated === truth) agree++;
    });
    assert.ok(agree >= bf.length - 1, `${agree}/${bf.length}`);
    for (const dieTolerance of [NaN, -1, '1']) {
      await assert.rejects(Roi.create({ dieTolerance }), { code: 'ERR_INVALID_ARG' }, String(dieTolerance));
    }
  });

  it('maps crop coordinates to the image through the homography', async () => {
    const m = meta.find((x) => x.mode === 'brightfield');
    const [r] = await roi.capture(path.join(dir, m.file));
    const c = [r.cropWidth / 2, r.cropHeight / 2];
    const mapped = applyHomography(r.cropToImage, c);
    const gtCentre = m.packageQuad.reduce((a, p) => [a[0] + p[0] / 4, a[1] + p[1] / 4], [0, 0]);
    assert.ok(Math.hypot(mapped[0] - gtCentre[0], mapped[1] - gtCentre[1]) < 1.5);
    const back = applyHomography(r.imageToCrop, mapped);
    assert.ok(Math.hypot(back[0] - c[0], back[1] - c[1]) < 1e-3);
    // Crop corners land on the quad.
    r.quad.forEach((q, k) => {
      const p = applyHomography(r.cropToImage, [[0, 0], [r.cropWidth, 0], [r.cropWidth, r.cropHeight], [0, r.cropHeight]][k]);
      assert.ok(Math.hypot(p[0] - q[0], p[1] - q[1]) < 1e-2);
    });
  });

  it('refines a rough outline given as a proposal', async () => {
    const m = meta.find((x) => x.mode === 'brightfield');
    const rough = m.packageQuad.map(([x, y], k) => [x + (k % 2 ? 1.5 : -1.2), y + (k < 2 ? 1.3 : -1.4)]);
    const [r] = await (await Roi.create()).capture(path.join(dir, m.file));
    const results = await require('../dist/stages/roi/base').captureNative([path.join(dir, m.file)], {}, [rough]);
    const err = results[0].quad.reduce((s, p, k) => s + Math.hypot(p[0] - m.packageQuad[k][0], p[1] - m.packageQuad[k][1]), 0) / 4;
    assert.ok(err < 0.8, `corner error ${err}`);
    assert.ok(convexIoU(results[0].quad, r.quad) > 0.995);
  });

  it('pulls a coarse outline (a low-resolution mask) onto the edges when told how far off it may be', async () => {
    const m = meta.find((x) => x.mode === 'brightfield');
    // About one 16 px mask cell off, as a 320-input segmenter leaves it on a 1280 image.
    const coarse = m.packageQuad.map(([x, y], k) => [x + [9, -11, 8, -10][k], y + [-10, 9, 11, -8][k]]);
    const err = (q) => q.reduce((s, p, k) => s + Math.hypot(p[0] - m.packageQuad[k][0], p[1] - m.packageQuad[k][1]), 0) / 4;
    const { captureNative } = require('../dist/stages/roi/base');
    const [near] = await captureNative([path.join(dir, m.file)], {}, [coarse]);
    const [far] = await captureNative([path.join(dir, m.file)], {}, [coarse], [24]);
    assert.ok(err(far.quad) < 0.8, `with a 24 px search: corner error ${err(far.quad)}`);
    assert.ok(!near.refined || err(near.quad) > 2, 'the default 4 px search cannot reach edges ~14 px away');
    await assert.rejects(captureNative([path.join(dir, m.file)], {}, [coarse], [-1]), (e) => e.code === 'ERR_INVALID_ARG');
  });

  it('a coarse outline settles on the package edge, not on a stronger board edge beside it', async () => {
    // Dark package on a mid board, a bright trace 12 px right of the package's right side:
    // the trace's step (90 -> 200) is stronger than the package's (30 -> 90).
    const w = 640, h = 480;
    const data = new Uint8Array(w * h * 3).fill(90);
    const fill = (x0, y0, x1, y1, v) => {
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data.fill(v, (y * w + x) * 3, (y * w + x) * 3 + 3);
    };
    fill(150, 120, 490, 360, 30);
    fill(502, 90, 506, 390, 200);
    const truth = [[150, 120], [490, 120], [490, 360], [150, 360]];
    const coarse = [[142, 113], [498, 112], [497, 368], [143, 367]];  // a mask outline ~8 px too wide
    const { captureNative } = require('../dist/stages/roi/base');
    const [r] = await captureNative([{ data, width: w, height: h, channels: 3 }], { measureDie: false }, [coarse], [20]);
    assert.strictEqual(r.status, 'ok');
    assert.ok(convexIoU(r.quad, truth) > 0.995, `IoU ${convexIoU(r.quad, truth)}: ${JSON.stringify(r.quad)}`);
  });

  it('reports no package as ERR_ROI_NOT_FOUND and keeps going past bad images', async () => {
    const flat = await encodeImage({ data: new Uint8Array(640 * 480 * 3).fill(120), width: 640, height: 480, channels: 3 }, { format: 'png' });
    const good = path.join(dir, meta[0].file);
    const res = await roi.capture([flat, Buffer.from('not an image'), Buffer.alloc(0), good, path.join(dir, 'missing.jpg')]);
    assert.strictEqual(res[0].status, 'not_found');
    assert.strictEqual(res[0].error.code, 'ERR_ROI_NOT_FOUND');
    assert.strictEqual(res[1].status, 'error');
    assert.strictEqual(res[1].error.code, 'ERR_IMAGE_DECODE');
    assert.strictEqual(res[2].status, 'error');
    assert.strictEqual(res[3].status, 'ok');
    assert.strictEqual(res[4].error.code, 'ERR_FILE_NOT_FOUND');
    // A 1 x 2000 strip: its 640 px working copy kept a 1 px side (it used to round to
    // none, and OpenCV's assertion failed the whole batch with ERR_INTERNAL).
    const strip = { data: new Uint8Array(2000 * 3).fill(90), width: 1, height: 2000, channels: 3 };
    const [s, g] = await roi.capture([strip, good]);
    assert.strictEqual(s.status, 'not_found');
    assert.strictEqual(g.status, 'ok');
  });

  it('skips darkfield images when asked to', async () => {
    const r2 = await Roi.create({ brightfieldOnly: true });
    const res = await r2.capture(meta.slice(0, 3).map((m) => path.join(dir, m.file)));
    assert.deepStrictEqual(res.map((r) => r.status), ['ok', 'skipped', 'skipped']);
  });

  it('rejects bad options with typed errors', async () => {
    await assert.rejects(roi.capture([42]), (e) => e instanceof DieInspectError && e.code === 'ERR_INVALID_ARG');
    await assert.rejects((await Roi.create({ orientation: 'sideways' })).capture(path.join(dir, meta[0].file)), (e) => e.code === 'ERR_INVALID_ARG');
    await assert.rejects(Roi.create({ strategy: 'magic' }), (e) => e.code === 'ERR_INVALID_ARG');
    await assert.rejects(require('../dist/stages/roi/base').captureNative([path.join(dir, meta[0].file)], {}, [[[0, 0], [1, 1]]]), (e) => e.code === 'ERR_INVALID_ARG');
  });
});
