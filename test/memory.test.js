'use strict';
// releaseBuffers(), setMallocOptions(), mallocInfo(): memory a service frees or hands
// back without waiting for the garbage collector.
const assert = require('assert');
const fs = require('fs');
const path = require('path');
const { decodeImage, releaseBuffers, setMallocOptions, mallocInfo } = require('../dist');

const SAMPLE = path.join(__dirname, '..', 'samples', 'images', '000001.jpg');

describe('native memory', () => {
  it('releaseBuffers() frees whole buffers at once and leaves views into shared ones alone', async () => {
    const whole = Buffer.alloc(1 << 20, 7);
    const pooled = Buffer.from('small, from the pool');
    const part = whole.subarray(0, 10);
    assert.strictEqual(releaseBuffers([part, pooled]), 0);
    assert.strictEqual(pooled.toString(), 'small, from the pool');
    assert.strictEqual(releaseBuffers([whole, whole]), 1);
    assert.strictEqual(whole.length, 0);
    // Native memory (a decoded image) goes too: external memory drops without a collection.
    const images = await Promise.all(Array.from({ length: 8 }, () => decodeImage(SAMPLE)));
    const before = process.memoryUsage().external;
    assert.strictEqual(releaseBuffers(images.map((im) => im.data)), 8);
    const freed = before - process.memoryUsage().external;
    assert.ok(freed >= 8 * images[0].width * images[0].height * 3 * 0.99, `external fell by ${freed} bytes`);
    assert.throws(() => releaseBuffers(Buffer.alloc(8)), { code: 'ERR_INVALID_ARG' });
  });

  it('releaseBuffers() leaves a buffer that a native call still reads', async () => {
    const body = fs.readFileSync(SAMPLE);
    const pending = decodeImage(body);
    assert.strictEqual(releaseBuffers([body]), 0);
    const image = await pending;
    assert.strictEqual(image.width, 1280);
    assert.strictEqual(body.length, fs.statSync(SAMPLE).size);
    assert.strictEqual(releaseBuffers([body]), 1);
  });

  it('setMallocOptions() checks its threshold, and mallocInfo() reports the heap (glibc)', () => {
    for (const bad of [undefined, 0, 100, 64 * 2 ** 20, 1.5e5 + 0.5, '262144']) {
      assert.throws(() => setMallocOptions({ mmapThreshold: bad }), { code: 'ERR_INVALID_ARG' }, String(bad));
    }
    const info = mallocInfo();
    const glibc = Boolean(process.report?.getReport().header.glibcVersionRuntime);
    if (!glibc) return;
    assert.strictEqual(setMallocOptions({ mmapThreshold: 128 * 1024 }), true);
    if (info === null) return; // glibc before 2.33
    for (const k of ['heapBytes', 'inUseBytes', 'freeBytes', 'mmapBytes']) assert.ok(info[k] >= 0, k);
    assert.strictEqual(info.inUseBytes + info.freeBytes, info.heapBytes);
  });
});
