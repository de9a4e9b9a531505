'use strict';
// annotateImage(): shapes drawn where they belong, at full size and downscaled.
const assert = require('assert');
const { annotateImage, decodeImage, layoutTexts } = require('../dist');
const { annotationShapes } = require('../dist/pipeline/report');

function flat(width, height, v) {
  return { data: new Uint8Array(width * height * 3).fill(v), width, height, channels: 3 };
}

const overlap = (a, b) => a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3];
const square = (x, y, w, h) => [[x, y], [x + w, y], [x + w, y + h], [x, y + h]];

function assertApart(placements, width, height) {
  for (const p of placements) {
    const [x1, y1, x2, y2] = p.box;
    assert.ok(x1 >= 0 && y1 >= 0 && x2 <= width && y2 <= height && x2 > x1 && y2 > y1, `shape ${p.shape} outside: ${p.box}`);
  }
  for (let i = 0; i < placements.length; i++) {
    for (let j = i + 1; j < placements.length; j++) {
      assert.ok(!overlap(placements[i].box, placements[j].box),
        `shapes ${placements[i].shape} and ${placements[j].shape} overlap: ${placements[i].box} / ${placements[j].box}`);
    }
  }
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

  it('places every label where no other text is, beside its own box first, inside the image, and draws it there', async () => {
    // Eight boxes piled on one spot, one against the top edge and one in the bottom-right
    // corner, with a header line as the inspect pictures have.
    const colors = [[40, 40, 230], [0, 165, 255], [230, 160, 40], [200, 0, 200]];
    const shapes = [{ type: 'text', at: [8, 8], text: 'FAIL  brightfield', color: [40, 40, 230], fontScale: 0.8 }];
    for (let i = 0; i < 8; i++) {
      shapes.push({ type: 'polygon', points: square(150 + 5 * i, 110 + 4 * i, 40, 30), color: colors[i % 4], thickness: 2, label: `die_crack 0.${9 - i}`, fontScale: 0.6 });
    }
    shapes.push({ type: 'polygon', points: square(300, 0, 50, 20), color: colors[1], label: 'die_rotation 0.88', fontScale: 0.6 });
    shapes.push({ type: 'polygon', points: square(360, 260, 40, 40), color: colors[2], label: 'die_crack 0.35', fontScale: 0.6 });
    const placed = layoutTexts({ width: 400, height: 300 }, shapes);
    assert.deepStrictEqual(placed.map((p) => p.shape).sort((a, b) => a - b), shapes.map((_, i) => i));
    assertApart(placed, 400, 300);
    const of = (i) => placed.find((p) => p.shape === i);
    // The header stays where it was put; the first label sits right on top of its box.
    assert.deepStrictEqual(of(0).box.slice(0, 2), [8, 8]);
    const first = of(1).box;
    assert.ok(first[0] === 150 && first[3] <= 110 && first[3] >= 106, `${first}`);
    assert.strictEqual(of(1).leader, undefined);
    // A label far from its box has a line to it.
    for (const p of placed.filter((x) => x.shape > 0)) {
      const [x1, y1, x2, y2] = p.box;
      const pts = shapes[p.shape].points;
      const gap = Math.hypot(Math.max(0, Math.min(...pts.map((q) => q[0])) - x2, x1 - Math.max(...pts.map((q) => q[0]))),
        Math.max(0, Math.min(...pts.map((q) => q[1])) - y2, y1 - Math.max(...pts.map((q) => q[1]))));
      if (gap > 5) assert.ok(p.leader, `shape ${p.shape}: ${gap} px away without a leader`);
    }
    // annotateImage draws them there: each background's corner pixel has its box's colour.
    const img = await decodeImage(await annotateImage(flat(400, 300, 90), shapes, { format: 'png' }));
    for (const p of placed) assert.deepStrictEqual(at(img, p.box[0], p.box[1]), shapes[p.shape].color, `shape ${p.shape}`);
    // Downscaled, the layout is of the drawn picture.
    assertApart(layoutTexts({ width: 800, height: 600 }, shapes.map((x) => (x.type === 'polygon' ? { ...x, points: x.points.map(([a, b]) => [2 * a, 2 * b]) } : x)), { maxSide: 400 }), 400, 300);
  });

  it('inspect\'s pictures: overlapping detections keep their labels apart, the deciding one beside its box', () => {
    // The README sample: two crack boxes on one spot, 0.69 failing the part and 0.31 below the threshold.
    const quad = (x, y) => square(x, y, 30, 70);
    const r = {
      width: 1280, height: 960, mode: 'brightfield', verdict: 'fail', dieAngle: 0,
      roi: { status: 'ok', quad: [[770, 150], [1035, 120], [1080, 520], [815, 550]] },
      detections: [{ label: 'die_crack', score: 0.31, quad: quad(848, 298) }, { label: 'die_crack', score: 0.69, quad: quad(851, 300) }],
      reasons: ['die_crack 0.69 (threshold 0.5)', 'classifier ensemble: defect probability 1.000 (threshold 0.5)'],
    };
    const shapes = annotationShapes(r);
    const placed = layoutTexts(r, shapes, { maxSide: 960 });
    assertApart(placed, 960, 720);
    const labels = placed.filter((p) => shapes[p.shape].label);
    assert.deepStrictEqual(labels.map((p) => shapes[p.shape].label).sort(), ['die_crack 0.31', 'die_crack 0.69']);
    const deciding = labels.find((p) => shapes[p.shape].label === 'die_crack 0.69');
    assert.strictEqual(deciding.leader, undefined);
    // No detection's outline is drawn over by another detection's label.
    const scale = 960 / 1280;
    for (const p of labels) {
      for (const d of shapes.filter((x) => x.label && x !== shapes[p.shape])) {
        for (const [x, y] of d.points) assert.ok(!overlap(p.box, [x * scale, y * scale, x * scale + 1, y * scale + 1]), `${shapes[p.shape].label} on ${d.label}`);
      }
    }
  });

  it('refuses malformed shapes with ERR_INVALID_ARG', async () => {
    const img = flat(10, 10, 0);
    for (const shapes of [
      [{ type: 'polygon', points: [[0, NaN]] }],
      [{ type: 'polygon', points: [[0, 1e9]] }],
      [{ type: 'polygon', points: [[0, 0]], thickness: 0 }],
      [{ type: 'circle', points: [[0, 0]] }],
      [{ type: 'polygon', points: [[0, 0]], label: 5 }],
      'not an array',
    ]) {
      await assert.rejects(annotateImage(img, shapes), { code: 'ERR_INVALID_ARG' }, JSON.stringify(shapes));
      assert.throws(() => layoutTexts({ width: 10, height: 10 }, shapes), { code: 'ERR_INVALID_ARG' }, JSON.stringify(shapes));
    }
    for (const size of [{ width: 0, height: 10 }, { width: 10.5, height: 10 }, { width: 10 }, null]) {
      assert.throws(() => layoutTexts(size, []), { code: 'ERR_INVALID_ARG' }, JSON.stringify(size));
    }
  });
});
