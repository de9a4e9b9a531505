'use strict';
// The encoders behind encodeImage, annotateImage and synthesize (native/core/
// jpeg_encode.cc, png_encode.cc, bmp_encode.cc, tiff_encode.cc): what each writes,
// field by field where the format fixes it, and that decodeImage gives the source
// back: exactly for PNG, BMP and TIFF, within JPEG's loss for JPEG.
const assert = require('assert');
const { annotateImage, decodeImage, encodeImage } = require('../dist');

/** A smooth picture with a little texture: what JPEG is made for. */
function picture(width, height) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = 3 * (y * width + x);
      data[i] = (x + y) & 255;
      data[i + 1] = (128 + 100 * Math.sin(x / 9) * Math.cos(y / 7)) | 0;
      data[i + 2] = (200 - y + ((x * y) % 5)) & 255; // no wrap-around: sides stay smooth
    }
  }
  return { data, width, height, channels: 3 };
}

/** Every pixel different from its neighbours: what lossless formats must keep. */
function noise(width, height) {
  const data = new Uint8Array(width * height * 3);
  let s = 99;
  for (let i = 0; i < data.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    data[i] = s >>> 24;
  }
  return { data, width, height, channels: 3 };
}

function meanAbsDiff(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

/** A JPEG's marker segments up to the first scan: [{ marker, body }]. */
function jpegSegments(jpg) {
  assert.deepStrictEqual([jpg[0], jpg[1]], [0xff, 0xd8], 'starts with SOI');
  const out = [];
  for (let i = 2; i + 4 <= jpg.length;) {
    assert.strictEqual(jpg[i], 0xff, `a marker at ${i}`);
    const marker = jpg[i + 1], len = jpg.readUInt16BE(i + 2);
    out.push({ marker, body: jpg.subarray(i + 4, i + 2 + len) });
    if (marker === 0xda) break;
    i += 2 + len;
  }
  return out;
}

/** The first value (the DC step) of the first quantisation table. */
const lumaDc = (jpg) => jpegSegments(jpg).find((s) => s.marker === 0xdb).body[1];

describe('encoders', function () {
  this.timeout(60000);

  it('PNG, BMP and TIFF give back exactly the pixels encoded, at any size', async () => {
    for (const [w, h] of [[1, 1], [13, 7], [300, 41]]) {
      const img = noise(w, h);
      for (const format of ['png', 'bmp', 'tiff']) {
        const back = await decodeImage(await encodeImage(img, { format }));
        assert.deepStrictEqual([back.width, back.height], [w, h], `${format} ${w}x${h}`);
        assert.ok(Buffer.from(img.data).equals(back.data), `${format} ${w}x${h}: pixels changed`);
      }
    }
  });

  it('BMP: a 40-byte info header, 24-bit rows stored bottom-up and padded to 4 bytes with zeros', async () => {
    const img = noise(5, 3); // 15 bytes a row, padded to 16
    const b = await encodeImage(img, { format: 'bmp' });
    assert.strictEqual(b.toString('latin1', 0, 2), 'BM');
    assert.deepStrictEqual([b.readUInt32LE(2), b.readUInt32LE(10), b.readUInt32LE(14)], [b.length, 54, 40]);
    assert.deepStrictEqual([b.readInt32LE(18), b.readInt32LE(22), b.readUInt16LE(26), b.readUInt16LE(28), b.readUInt32LE(30)], [5, 3, 1, 24, 0]);
    assert.strictEqual(b.length, 54 + 3 * 16);
    for (let r = 0; r < 3; r++) {
      const y = 2 - r; // the first stored row is the bottom one
      assert.ok(b.subarray(54 + 16 * r, 54 + 16 * r + 15).equals(Buffer.from(img.data.subarray(15 * y, 15 * y + 15))), `stored row ${r}`);
      assert.strictEqual(b[54 + 16 * r + 15], 0, `padding of stored row ${r}`);
    }
  });

  it('TIFF: little-endian RGB, LZW with horizontal differencing, strips of about 8 KiB, the directory after them', async () => {
    const img = noise(300, 41);
    const t = await encodeImage(img, { format: 'tiff' });
    assert.strictEqual(t.toString('latin1', 0, 2), 'II');
    assert.strictEqual(t.readUInt16LE(2), 42);
    const ifd = t.readUInt32LE(4);
    const tags = {};
    for (let i = 0, n = t.readUInt16LE(ifd); i < n; i++) {
      const e = ifd + 2 + 12 * i;
      const type = t.readUInt16LE(e + 2), count = t.readUInt32LE(e + 4), size = type === 3 ? 2 : 4;
      const at = count * size > 4 ? t.readUInt32LE(e + 8) : e + 8;
      tags[t.readUInt16LE(e)] = Array.from({ length: count }, (_, k) => (size === 2 ? t.readUInt16LE(at + 2 * k) : t.readUInt32LE(at + 4 * k)));
    }
    const rowsPerStrip = Math.floor(8192 / (300 * 3)); // 9
    assert.deepStrictEqual([tags[256], tags[257], tags[258], tags[262], tags[277], tags[284]], [[300], [41], [8, 8, 8], [2], [3], [1]]);
    assert.deepStrictEqual([tags[259], tags[317], tags[278]], [[5], [2], [rowsPerStrip]], 'LZW, horizontal predictor, rows per strip');
    assert.strictEqual(tags[273].length, Math.ceil(41 / rowsPerStrip));
    tags[273].forEach((off, k) => assert.ok(off + tags[279][k] <= ifd, `strip ${k} lies before the directory`));
  });

  it('PNG: 8-bit RGB, not interlaced, and no chunk but IHDR, IDAT and IEND', async () => {
    const p = await encodeImage(noise(20, 10), { format: 'png' });
    const chunks = [];
    for (let i = 8; i < p.length; i += 12 + p.readUInt32BE(i)) chunks.push(p.toString('latin1', i + 4, i + 8));
    assert.deepStrictEqual([...new Set(chunks)], ['IHDR', 'IDAT', 'IEND']);
    assert.deepStrictEqual([p.readUInt32BE(16), p.readUInt32BE(20), p[24], p[25], p[28]], [20, 10, 8, 2, 0]);
  });

  it('JPEG: baseline JFIF with 4:2:0 chroma, tables from the quality (clamped to 1-100), within its loss', async () => {
    const img = picture(96, 64);
    const jpg = await encodeImage(img, { format: 'jpg', quality: 95 });
    const segments = jpegSegments(jpg);
    const app0 = segments.find((s) => s.marker === 0xe0);
    assert.strictEqual(app0.body.toString('latin1', 0, 5), 'JFIF\0');
    assert.ok(!segments.some((s) => s.marker === 0xc2), 'not progressive');
    const sof = segments.find((s) => s.marker === 0xc0);
    assert.ok(sof, 'a baseline frame (SOF0)');
    assert.deepStrictEqual([sof.body.readUInt16BE(1), sof.body.readUInt16BE(3), sof.body[5]], [64, 96, 3]);
    assert.deepStrictEqual([sof.body[7], sof.body[10], sof.body[13]], [0x22, 0x11, 0x11], 'Y sampled 2x2, Cb and Cr 1x1');
    // libjpeg scales the standard luminance table (DC step 16 at quality 50) by 200 - 2q percent, or 5000/q below 50.
    const dc = async (quality) => lumaDc(await encodeImage(img, { format: 'jpg', quality }));
    assert.deepStrictEqual(await Promise.all([50, 90, 95, 100, 10].map(dc)), [16, 3, 2, 1, 80]);
    assert.strictEqual(await dc(0), await dc(1));
    assert.strictEqual(await dc(150), 1);
    assert.ok((await encodeImage(img, { format: 'jpg' })).equals(await encodeImage(img, { format: 'jpg', quality: 90 })), 'encodeImage defaults to quality 90');
    const back = await decodeImage(jpg);
    assert.deepStrictEqual([back.width, back.height], [96, 64]);
    const fine = meanAbsDiff(back.data, img.data);
    const coarse = meanAbsDiff((await decodeImage(await encodeImage(img, { format: 'jpg', quality: 30 }))).data, img.data);
    assert.ok(fine < 2, `quality 95: mean difference ${fine}`);
    assert.ok(coarse > fine && coarse < 8, `quality 30: mean difference ${coarse} (95: ${fine})`);
  });

  it('JPEG refuses a side over 65500 pixels with ERR_INVALID_ARG; PNG takes it', async () => {
    const wide = { data: new Uint8Array(65501 * 3).fill(7), width: 65501, height: 1, channels: 3 };
    await assert.rejects(encodeImage(wide, { format: 'jpg' }), (e) => e.code === 'ERR_INVALID_ARG' && /at most 65500 pixels a side; the image is 65501x1/.test(e.message));
    const back = await decodeImage(await encodeImage(wide, { format: 'png' }));
    assert.deepStrictEqual([back.width, back.data[3 * 65500]], [65501, 7]);
  });

  it('annotateImage: PNG is the source with the shape on it, JPEG those pixels at the quality asked', async () => {
    const img = picture(120, 80);
    const shapes = [{ type: 'polygon', points: [[30, 20], [90, 20], [90, 60], [30, 60]], color: [255, 0, 0], thickness: 1 }];
    const png = await decodeImage(await annotateImage(img, shapes, { format: 'png' }));
    let changed = 0;
    for (let y = 0; y < 80; y++) {
      for (let x = 0; x < 120; x++) {
        const i = 3 * (y * 120 + x);
        const onShape = (x >= 29 && x <= 91 && y >= 19 && y <= 61) && !(x >= 32 && x <= 88 && y >= 22 && y <= 58);
        const same = png.data[i] === img.data[i] && png.data[i + 1] === img.data[i + 1] && png.data[i + 2] === img.data[i + 2];
        if (!onShape) assert.ok(same, `pixel ${x},${y} off the shape changed`);
        else if (!same) changed++;
      }
    }
    assert.ok(changed >= 2 * (60 + 40), `the outline was drawn (${changed} pixels)`);
    const i = 3 * (20 * 120 + 60); // on the top side, antialiased: most of the way to the blue drawn
    assert.ok(png.data[i] - img.data[i] > 50 && img.data[i + 1] - png.data[i + 1] > 50, `top side ${Array.from(png.data.subarray(i, i + 3))}`);
    const jpgBytes = await annotateImage(img, shapes, { format: 'jpg', quality: 88 });
    assert.strictEqual(lumaDc(jpgBytes), 4, 'quality 88: DC step (16 * 24 + 50) / 100');
    // The JPEG is the drawn pixels (the PNG's) encoded at that quality, byte for byte.
    assert.ok(jpgBytes.equals(await encodeImage(png, { format: 'jpg', quality: 88 })), 'annotated JPEG = the PNG\'s pixels as JPEG');
    const jpg = await decodeImage(jpgBytes);
    assert.ok(meanAbsDiff(jpg.data, png.data) < 6, `JPEG against PNG: ${meanAbsDiff(jpg.data, png.data)}`);
  });
});
