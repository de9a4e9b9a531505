'use strict';
const assert = require('assert');
const { Roi, encodeImage } = require('../dist');
const { SegRoi } = require('../dist/stages/roi/seg');
const { angleDifference } = require('../dist/eval');
const { constantSegmenter, constantDetector, rank3Model } = require('./helpers/onnx');
const { rectCorners, insideRect, drawRect, cornerError } = require('./helpers/scenes');

// A 320 x 256 image letterboxed into a 320 x 320 input: scale 1, 32 px pad on top.
const W = 320, H = 256, IN = 320, PAD_Y = 32, PROTO = 80, M = 32;
const RECT = { cx: 175, cy: 130, w: 180, h: 100, deg: 20 };

function boxRow(x1, y1, x2, y2, obj, cls, coeffs) {
  // Image box -> model-input cx, cy, w, h.
  return [(x1 + x2) / 2, (y1 + y2) / 2 + PAD_Y, x2 - x1, y2 - y1, obj, ...cls, ...coeffs];
}

function unit(k) {
  return Array.from({ length: M }, (_, j) => (j === k ? 1 : 0));
}

/**
 * Prototype 0 is +8 inside RECT, -8 elsewhere; prototype 1 is +8 everywhere.
 * The package row (class 0) uses prototype 0; a decoy of class 1 scores higher
 * and uses prototype 1, so its mask is its box only if the box crop works, and
 * picking it instead of the package would show.
 */
function segModel({ layout = 'yolov5', packageObj = 0.9 } = {}) {
  const protos = new Array(M * PROTO * PROTO).fill(0);
  for (let v = 0; v < PROTO; v++) {
    for (let u = 0; u < PROTO; u++) {
      const x = (u + 0.5) * (IN / PROTO), y = (v + 0.5) * (IN / PROTO) - PAD_Y;
      protos[v * PROTO + u] = insideRect(RECT, x, y) ? 8 : -8;
      protos[PROTO * PROTO + v * PROTO + u] = 8;
    }
  }
  const xs = rectCorners(RECT).map((p) => p[0]), ys = rectCorners(RECT).map((p) => p[1]);
  const rows = [
    boxRow(Math.min(...xs) - 3, Math.min(...ys) - 3, Math.max(...xs) + 3, Math.max(...ys) + 3, packageObj, [0.95, 0.1], unit(0)),
    boxRow(230, 2, 310, 40, 0.99, [0.0, 0.99], unit(1)),
  ];
  return constantSegmenter({ rows, protos, numMasks: M, protoHeight: PROTO, protoWidth: PROTO, layout, height: IN, width: IN });
}

describe('ROI capture (seg)', function () {
  this.timeout(60000);
  let image;

  before(async () => {
    image = await encodeImage(drawRect(W, H, RECT), { format: 'png' });
  });

  async function captureWith(model, extra = {}, images = [image]) {
    const roi = await Roi.create({ strategy: 'seg', model, imgsz: IN, classId: 0, orientation: 'long-side', ...extra });
    try {
      return await roi.capture(images);
    } finally {
      roi.close();
    }
  }

  for (const layout of ['yolov5', 'yolov8']) {
    it(`turns the ${layout} package mask into the drawn rectangle, refined to sub-pixel edges`, async () => {
      const [r] = await captureWith(segModel({ layout }));
      assert.strictEqual(r.status, 'ok', r.error && r.error.message);
      const truth = rectCorners(RECT);
      assert.ok(cornerError(r.quad, truth) < 1, `corner error ${cornerError(r.quad, truth)}: ${JSON.stringify(r.quad)}`);
      assert.ok(r.refined);
      assert.ok(angleDifference(r.angle % 180, RECT.deg) < 0.3, `angle ${r.angle}`);
      // The unrefined mask outline is already within a proto cell of the truth.
      assert.ok(cornerError(r.proposal.maskQuad, truth) < 3, JSON.stringify(r.proposal.maskQuad));
      assert.ok(Math.abs(r.proposal.maskArea - RECT.w * RECT.h) < 0.03 * RECT.w * RECT.h, `mask area ${r.proposal.maskArea}`);
      assert.strictEqual(r.proposal.classId, 0);
      assert.ok(Math.abs(r.proposal.score - 0.9 * 0.95) < 1e-4, `score ${r.proposal.score}`);
      assert.strictEqual(r.score, r.proposal.score);
    });
  }

  it('takes the best detection of any class when no package class is set', async () => {
    const roi = await Roi.create({ strategy: 'seg', model: segModel(), imgsz: IN, orientation: 'long-side', refine: false });
    const [r] = await roi.capture(image);
    roi.close();
    assert.strictEqual(r.proposal.classId, 1);
    // The decoy's mask is its own box: prototype 1 is positive everywhere, so
    // only the crop to the box (in image pixels, not proto cells) bounds it.
    assert.ok(cornerError(r.proposal.maskQuad, [[230, 2], [310, 2], [310, 40], [230, 40]]) < 1.5, JSON.stringify(r.proposal.maskQuad));
  });

  it('reports images without a package as not_found and keeps per-image failures apart', async () => {
    const res = await captureWith(segModel({ packageObj: 0.1 }), {}, [image, '/nonexistent/die.png']);
    assert.strictEqual(res[0].status, 'not_found');
    assert.strictEqual(res[0].error.code, 'ERR_ROI_NOT_FOUND');
    assert.strictEqual(res[1].status, 'error');
    assert.strictEqual(res[1].error.code, 'ERR_FILE_NOT_FOUND');
  });

  it('rejects a model without prototypes with ERR_OUTPUT_LAYOUT', async () => {
    const det = constantDetector({ rows: [[100, 100, 50, 50, 0.9, 1]], height: IN, width: IN });
    await assert.rejects(captureWith(det), (e) => e.code === 'ERR_OUTPUT_LAYOUT');
  });

  it('rejects a model that does not take images with ERR_MODEL_INPUT', async () => {
    await assert.rejects(captureWith(rank3Model()), (e) => e.code === 'ERR_MODEL_INPUT');
  });

  it('frees its session on close()', async () => {
    const roi = await SegRoi.create({ strategy: 'seg', model: segModel(), imgsz: IN });
    roi.close();
    assert.ok(roi.session.closed);
    await assert.rejects(roi.capture(image), (e) => e.code === 'ERR_SESSION_CLOSED');
  });
});
