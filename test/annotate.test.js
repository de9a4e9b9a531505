'use strict';
// annotateImage(): shapes drawn where they belong, at full size and downscaled.
const assert = require('assert');
const { annotateImage, decodeImage } = require('../dist');

function flat(width, height, v) {
  return { data: new Uint8Array(width * height * 3).fill(v), width, height, channels: 3 };
}

const at = (img, x, y) => Array.from(img.data.subarray(3 * (y * img.width + x), 3 * (y * img.width + x) + 3));

describe('annotateImage', () => {
  it('draws a polygon in its colour on its pixels and leaves the rest alone (PNG, lossless)', async () => {
    const png = await annotateImage(flat(200, 100, 50), [
      { type: 'polygon', points: [[20, 30], [180, 30], [180, 70], [20, 70]], color: [0, 0, 255], thickness: 3 },
    ], { format: 'png' });
    const img = await decodeImage(png);
    assert.deepStrictEqual([img.width, img.height], [200, 100]);
    assert.deepStrictEqual(at(img, 100, 30), [0, 0, 255]); // on the top side
    assert.deepStrictEqual(at(img, 20, 50), [0, 0, 255]); // on the left side
    assert.deepStrictEqual(at(img, 100, 50), [50, 50, 50]); // inside, not filled
    assert.deepStrictEqual(at(img, 5, 5), [50, 50, 50]);
  });

  it('downscales to maxSide with shapes still given in original pixels, down to a single pixel', async () => {
    const png = await annotateImage(flat(400, 200, 50), [
      { type: 'polygon', points: [[0, 100], [399, 100]], closed: false, color: [0, 255, 0], thickness: 1 },
    ], { format: 'png', maxSide: 100 });
    const img = await decodeImage(png);
    assert.deepStrictEqual([img.width, img.height], [100, 50]);
    // the line at original y = 100 lands on row 25 of the 1/4-scale picture
    assert.ok(at(img, 50, 25)[1] > 150, JSON.stringify(at(img, 50, 25)));
    assert.deepStrictEqual(at(img, 50, 10), [50, 50, 50]);
    // a 3x7 image asked to fit in 1 px: 1x1, not an OpenCV assertion
    const tiny = await decodeImage(await annotateImage(flat(3, 7, 9), [{ type: 'text', at: [0, 0], text: 'x' }], { format: 'png', maxSide: 1 }));
    assert.deepStrictEqual([tiny.width, tiny.height], [1, 1]);
  });

  it('refuses malformed shapes with ERR_INVALID_ARG', async () => {
    const img = flat(10, 10, 0);
    for (const shapes of [
      [{ type: 'polygon', points: [[0, NaN]] }],
      [{ type: 'polygon', points: [[0, 1e9]] }],
      [{ type: 'polygon', points: [[0, 0]], thickness: 0 }],
      [{ type: 'circle', points: [[0, 0]] }],
      'not an array',
    ]) {
      await assert.rejects(annotateImage(img, shapes), { code: 'ERR_INVALID_ARG' }, JSON.stringify(shapes));
    }
  });
});
