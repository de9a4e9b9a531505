'use strict';
// Inputs the native fuzzers (fuzz/, scripts/fuzz.sh) once failed on, replayed
// through the library: each stays answered the way the fix made it answer.
// (The fuzzers replay the same inputs from fuzz/regressions/ before each run.)
const assert = require('assert');
const { Detector, encodeImage } = require('../dist');
const { captureNative } = require('../dist/stages/roi/base');
const { constantDetector } = require('./helpers/onnx');
const { drawRect, rectCorners, cornerError } = require('./helpers/scenes');

describe('fuzzer findings, replayed', function () {
  this.timeout(60000);

  it('a package outline proposed far off the image is not found, at once, and the image beside it is captured', async () => {
    // roi_fuzzer: corners 1e12 px away planned a crop of about 1e24 pixels; the die
    // threshold on it ran past the fuzzer's time limit.
    const rect = { cx: 60, cy: 40, w: 70, h: 44, deg: 8 };
    const image = drawRect(120, 80, rect);
    const far = [[-1e12, -1e12], [1e12, -1e12], [1e12, 1e12], [-1e12, 1e12]];
    const justOutside = [[-70, 10], [-62, 10], [-62, 20], [-70, 20]];  // more than half the width past the left border
    const near = rectCorners(rect).map(([x, y]) => [x + 2, y - 1]);
    const [a, b, c] = await captureNative([image, image, image], {}, [far, justOutside, near], [0, 0, 4]);
    assert.strictEqual(a.status, 'not_found');
    assert.strictEqual(a.error.code, 'ERR_ROI_NOT_FOUND');
    assert.strictEqual(b.status, 'not_found');
    assert.strictEqual(c.status, 'ok');
    assert.ok(cornerError(c.quad, rectCorners(rect)) < 1, `corner error ${cornerError(c.quad, rectCorners(rect))}`);
  });

  it('a JPEG with FF 00 between its segments has the size of its real frame, not one inside a comment', async () => {
    // jpeg_fuzzer: the header reader took FF 00 for a marker and skipped by the two bytes
    // after it into a comment holding a frame header of 160 x 120; libjpeg, which passes
    // over FF 00 (a stuffed zero), decoded the real 32 x 24 frame.
    const rgb = new Uint8Array(32 * 24 * 3).map((_, i) => (i * 7) & 255);
    const jpg = await encodeImage({ data: rgb, width: 32, height: 24, channels: 3 }, { format: 'jpeg' });
    const fakeFrame = Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x78, 0x00, 0xa0, 0x03, 0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    const body = Buffer.concat([Buffer.from('xx'), fakeFrame, Buffer.from('yy')]);
    const comment = Buffer.concat([Buffer.from([0xff, 0xfe, 0, body.length + 2]), body]);
    // FF 00 00 08: read as a segment of length 8, it ends at the fake frame's FF C0.
    const file = Buffer.concat([jpg.subarray(0, 2), Buffer.from([0xff, 0x00, 0x00, 0x08]), comment, jpg.subarray(2)]);
    const d = await Detector.create(constantDetector({ rows: [[8, 8, 4, 4, 0.9, 0.9, 0.1]], height: 64, width: 64 }), { failOn: 'error' });
    const [r] = await d.detect([file]);
    d.close();
    assert.ifError(r.error);
    assert.deepStrictEqual([r.width, r.height], [32, 24]);
  });
});
