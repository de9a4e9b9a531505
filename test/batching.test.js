'use strict';
// Micro-batching of image sources: full batches from lists and busy sources,
// partial ones from a source that has gone quiet.
const assert = require('assert');
const { batchesOf } = require('../dist/batching');

async function collect(gen) {
  const out = [];
  for await (const b of gen) out.push(b);
  return out;
}

describe('batchesOf', () => {
  it('cuts a list into full batches and a remainder, whatever maxWaitMs is', async () => {
    for (const wait of [Infinity, 0, 50]) {
      assert.deepStrictEqual(await collect(batchesOf([0, 1, 2, 3, 4], 2, wait)), [[0, 1], [2, 3], [4]], String(wait));
    }
    assert.deepStrictEqual(await collect(batchesOf([], 4, 0)), []);
  });

  it('sends a partial batch when a live source goes quiet, and goes on when it resumes', async () => {
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    const events = [];
    async function* source() {
      yield* [0, 1, 2];
      events.push('waiting');
      await gate;
      yield* [3, 4];
    }
    const out = [];
    for await (const b of batchesOf(source(), 4, 10)) {
      out.push(b);
      events.push(`batch ${b.join(',')}`);
      if (out.length === 1) release();
    }
    assert.deepStrictEqual(out, [[0, 1, 2], [3, 4]]);
    assert.deepStrictEqual(events, ['waiting', 'batch 0,1,2', 'batch 3,4']);
  });

  it('keeps the pull that lost the race: no item is dropped or reordered', async () => {
    async function* slow() {
      for (let i = 0; i < 12; i++) {
        await new Promise((r) => setTimeout(r, i % 4 === 3 ? 15 : 0));
        yield i;
      }
    }
    const out = await collect(batchesOf(slow(), 5, 5));
    assert.deepStrictEqual(out.flat(), Array.from({ length: 12 }, (_, i) => i));
    assert.ok(out.every((b) => b.length >= 1 && b.length <= 5), JSON.stringify(out));
  });

  it('lets the source clean up when the consumer stops early, and passes its errors on', async () => {
    let closed = false;
    async function* source() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    for await (const b of batchesOf(source(), 3)) {
      assert.deepStrictEqual(b, [0, 1, 2]);
      break;
    }
    await new Promise((r) => setImmediate(r));
    assert.ok(closed);
    async function* broken() {
      yield 1;
      throw new Error('camera unplugged');
    }
    await assert.rejects(collect(batchesOf(broken(), 4, 10)), /camera unplugged/);
  });
});
