'use strict';
const assert = require('assert');
const { Roi, encodeImage } = require('../dist');
const { SamRoi } = require('../dist/stages/roi/sam');
const { angleDifference } = require('../dist/eval');
const { constantDetector, samEncoder, samDecoder } = require('./helpers/onnx');
const { rectCorners, drawRect, cornerError } = require('./helpers/scenes');

// 320 x 256 image; the detector letterboxes it into 640 x 640 (scale 2, 64 px pad on top).
const W = 320, H = 256;
const RECT = { cx: 150.3, cy: 120.6, w: 170.4, h: 90.8, deg: 0 };
const BOX = [RECT.cx - RECT.w / 2, RECT.cy - RECT.h / 2, RECT.cx + RECT.w / 2, RECT.cy + RECT.h / 2];

function detector({ obj = 0.9 } = {}) {
  // Class 1 scores higher than the package (class 0) but sits elsewhere.
  return constantDetector({
    rows: [
      [RECT.cx * 2, RECT.cy * 2 + 64, RECT.w * 2, RECT.h * 2, obj, 0.95, 0.05],
      [560, 100, 60, 60, 0.99, 0.01, 0.99],
    ],
  });
}

describe('ROI capture (sam)', function () {
  this.timeout(60000);
  let image;
  let encoder;

  before(async () => {
    image = await encodeImage(drawRect(W, H, RECT), { format: 'png' });
    encoder = samEncoder();
  });

  async function captureWith(opts, images = [image]) {
    const roi = await Roi.create({
      strategy: 'sam', detector: detector(), encoder, decoder: samDecoder(), classId: 0, orientation: 'long-side', ...opts,
    });
    try {
      return await roi.capture(images);
    } finally {
      roi.close();
    }
  }

  it('prompts with the package box as points labelled 2 and 3 and recovers the box', async () => {
    const [r] = await captureWith({});
    // The decoder's box mask is empty unless the labels are [2, 3], so `ok` shows they were.
    assert.strictEqual(r.status, 'ok', r.error && r.error.message);
    const truth = rectCorners(RECT);
    assert.ok(cornerError(r.quad, truth) < 1, `corner error ${cornerError(r.quad, truth)}: ${JSON.stringify(r.quad)}`);
    assert.ok(cornerError(r.proposal.maskQuad, truth) < 1, JSON.stringify(r.proposal.maskQuad));
    assert.ok(angleDifference(r.angle, 0) < 0.3, `angle ${r.angle}`);
    // Mask 1 (iou 0.9, the box) beats mask 0 (iou 0.4, the whole image).
    assert.ok(Math.abs(r.proposal.iouPrediction - 0.9) < 1e-6, `iou ${r.proposal.iouPrediction}`);
    assert.strictEqual(r.proposal.classId, 0);
    r.proposal.box.forEach((v, k) => assert.ok(Math.abs(v - BOX[k]) < 1e-3, `box ${r.proposal.box}`));
    assert.ok(Math.abs(r.proposal.score - 0.9 * 0.95) < 1e-4);
  });

  it('appends the (0, 0) padding point labelled -1 only when asked', async () => {
    const [r] = await captureWith({ padPoint: true });
    assert.strictEqual(r.status, 'ok');
    // The test decoder lowers iou_predictions[1] by 0.1 per point beyond two.
    assert.ok(Math.abs(r.proposal.iouPrediction - 0.8) < 1e-6, `iou ${r.proposal.iouPrediction}`);
    assert.ok(cornerError(r.quad, rectCorners(RECT)) < 1);
  });

  it('reports images without a package box as not_found with ERR_ROI_NOT_FOUND', async () => {
    const res = await captureWith({ detector: detector({ obj: 0.1 }) }, [image, image]);
    for (const r of res) {
      assert.strictEqual(r.status, 'not_found');
      assert.strictEqual(r.error.code, 'ERR_ROI_NOT_FOUND');
      assert.strictEqual(r.proposal, undefined);
    }
  });

  it('keeps a per-image failure in its result', async () => {
    const res = await captureWith({}, ['/nonexistent/die.png', image]);
    assert.strictEqual(res[0].status, 'error');
    assert.strictEqual(res[0].error.code, 'ERR_FILE_NOT_FOUND');
    assert.strictEqual(res[1].status, 'ok');
  });

  it('rejects models that do not follow the SAM signature with typed errors', async () => {
    await assert.rejects(captureWith({ decoder: samDecoder({ omit: 'point_labels' }) }),
      (e) => e.code === 'ERR_MODEL_INPUT' && /point_labels/.test(e.message));
    await assert.rejects(captureWith({ encoder: samEncoder({ rank3: true }) }), (e) => e.code === 'ERR_MODEL_INPUT');
    await assert.rejects(captureWith({ encoder: samDecoder(), decoder: samDecoder() }), (e) => e.code === 'ERR_MODEL_INPUT');
    await assert.rejects(captureWith({ decoder: samEncoder() }), (e) => e.code === 'ERR_MODEL_INPUT');
  });

  it('rejects missing models with ERR_INVALID_ARG and frees every session on close()', async () => {
    await assert.rejects(Roi.create({ strategy: 'sam', detector: detector(), encoder }), (e) => e.code === 'ERR_INVALID_ARG');
    const roi = await SamRoi.create({ strategy: 'sam', detector: detector(), encoder, decoder: samDecoder() });
    roi.close();
    assert.ok(roi.detector.closed);
    await assert.rejects(roi.capture(image), (e) => e.code === 'ERR_SESSION_CLOSED');
  });

  it('prompts with the shipped package detector when no detector is given', async () => {
    const fs = require('fs');
    const os = require('os');
    const path = require('path');
    const { synthesize } = require('../dist');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'di-sam-'));
    await synthesize({ out: dir, count: 3, seed: 31 });
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
    const roi = await Roi.create({ strategy: 'sam', encoder, decoder: samDecoder() });
    const res = await roi.capture(meta.map((m) => path.join(dir, m.file)));
    roi.close();
    fs.rmSync(dir, { recursive: true, force: true });
    res.forEach((r, i) => {
      // The test decoder's mask is the prompt box itself: the box is what to check.
      const q = meta[i].packageQuad;
      const xs = q.map((p) => p[0]), ys = q.map((p) => p[1]);
      const truth = [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
      const b = r.proposal.box;
      const inter = Math.max(0, Math.min(b[2], truth[2]) - Math.max(b[0], truth[0])) * Math.max(0, Math.min(b[3], truth[3]) - Math.max(b[1], truth[1]));
      const iou = inter / ((b[2] - b[0]) * (b[3] - b[1]) + (truth[2] - truth[0]) * (truth[3] - truth[1]) - inter);
      assert.ok(iou > 0.85, `${meta[i].file}: prompt box IoU ${iou}`);
    });
  });
});
