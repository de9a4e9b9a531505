'use strict';
const assert = require('assert');
const { preprocess, encodeImage, decodeImage } = require('../dist');

function rawImage(width, height, fill = [0, 0, 0]) {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(fill, 3 * i);
  return { data, width, height, channels: 3 };
}

function setPixelBlock(img, x0, y0, size, bgr) {
  for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) img.data.set(bgr, 3 * (y * img.width + x));
}

// Intensity-weighted centroid of one channel plane of the tensor, above a floor.
function centroid(tensor, plane, W, H, floor) {
  let sx = 0, sy = 0, s = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = tensor[plane * W * H + y * W + x] - floor;
      if (v > 0) { sx += v * (x + 0.5); sy += v * (y + 0.5); s += v; }
    }
  }
  return [sx / s, sy / s];
}

describe('preprocess (letterbox)', () => {
  it('scales by the limiting side, centres the content and pads with 114', async () => {
    const { tensor, dims, images } = await preprocess([rawImage(1280, 960, [0, 0, 0])], { width: 640, height: 640 });
    assert.deepStrictEqual(dims, [1, 3, 640, 640]);
    const m = images[0];
    assert.strictEqual(m.scaleX, 0.5);
    assert.strictEqual(m.scaleY, 0.5);
    assert.strictEqual(m.padX, 0);
    assert.strictEqual(m.padY, 80);
    const at = (c, x, y) => tensor[c * 640 * 640 + y * 640 + x];
    assert.ok(Math.abs(at(0, 10, 10) - 114 / 255) < 1e-6, 'top padding is 114/255');
    assert.ok(Math.abs(at(2, 600, 630) - 114 / 255) < 1e-6, 'bottom padding is 114/255');
    assert.strictEqual(at(1, 320, 320), 0, 'content is the black image');
  });

  it('swaps BGR to RGB and applies mean/std', async () => {
    // Pure blue in BGR order.
    const { tensor } = await preprocess([rawImage(8, 8, [255, 0, 0])], { width: 8, height: 8, mean: [0.5, 0.5, 0.5], std: [0.5, 0.25, 0.5] });
    const plane = 64;
    assert.ok(Math.abs(tensor[0] - (0 - 0.5) / 0.5) < 1e-6, 'R');
    assert.ok(Math.abs(tensor[plane] - (0 - 0.5) / 0.25) < 1e-6, 'G');
    assert.ok(Math.abs(tensor[2 * plane] - (1 - 0.5) / 0.5) < 1e-6, 'B');
  });

  it('round-trips points to the original image within 0.5 px', async () => {
    const cases = [[1280, 960], [937, 411], [333, 777], [640, 640], [100, 1000]];
    for (const [w, h] of cases) {
      const img = rawImage(w, h);
      const bx = Math.floor(w * 0.37), by = Math.floor(h * 0.61), size = Math.max(8, Math.round(Math.min(w, h) / 20));
      setPixelBlock(img, bx, by, size, [255, 255, 255]);
      const { tensor, images } = await preprocess([img], { width: 640, height: 640, padValue: 0 });
      const m = images[0];
      const [cx, cy] = centroid(tensor, 0, 640, 640, 0);
      const back = [(cx - m.padX) / m.scaleX, (cy - m.padY) / m.scaleY];
      const truth = [bx + size / 2, by + size / 2];
      assert.ok(Math.abs(back[0] - truth[0]) < 0.5 && Math.abs(back[1] - truth[1]) < 0.5,
        `${w}x${h}: got ${back.map((v) => v.toFixed(2))} want ${truth}`);
    }
  });

  it('stretches when asked, with independent axis scales', async () => {
    const { images } = await preprocess([rawImage(200, 100)], { width: 50, height: 50, resize: 'stretch' });
    assert.strictEqual(images[0].scaleX, 0.25);
    assert.strictEqual(images[0].scaleY, 0.5);
    assert.strictEqual(images[0].padX, 0);
  });

  it('decodes PNG and JPEG buffers and paths to the same pixels it encoded', async () => {
    const img = rawImage(40, 30, [10, 200, 90]);
    const png = await encodeImage(img, { format: 'png' });
    assert.strictEqual(png.subarray(1, 4).toString(), 'PNG');
    const back = await decodeImage(png);
    assert.deepStrictEqual([back.width, back.height], [40, 30]);
    assert.deepStrictEqual(Array.from(back.data.subarray(0, 3)), [10, 200, 90]);
    const jpg = await encodeImage(img, { format: 'jpg', quality: 95 });
    const j = await decodeImage(jpg);
    assert.ok(Math.abs(j.data[1] - 200) <= 3);
  });

  it('reports a bad image per image and keeps the others', async () => {
    const { images } = await preprocess([rawImage(10, 10), Buffer.from('not an image'), '/no/such/file.png', Buffer.alloc(0)],
      { width: 16, height: 16 });
    assert.strictEqual(images[0].error, undefined);
    assert.strictEqual(images[1].error.code, 'ERR_IMAGE_DECODE');
    assert.strictEqual(images[2].error.code, 'ERR_FILE_NOT_FOUND');
    assert.strictEqual(images[3].error.code, 'ERR_IMAGE_DECODE');
  });

  it('rejects raw buffers smaller than width x height x channels', async () => {
    const { images } = await preprocess([{ data: new Uint8Array(10), width: 10, height: 10, channels: 3 }], { width: 16, height: 16 });
    assert.strictEqual(images[0].error.code, 'ERR_INVALID_ARG');
  });
});
