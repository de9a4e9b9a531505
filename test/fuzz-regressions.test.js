'use strict';
// Inputs the native fuzzers (fuzz/, scripts/fuzz.sh) once failed on, replayed
// through the library: each stays answered the way the fix made it answer.
// (The fuzzers replay the same inputs from fuzz/regressions/ before each run.)
const assert = require('assert');
const { captureNative } = require('../dist/stages/roi/base');
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
});
