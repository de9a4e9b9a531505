'use strict';
// Micro-batching of image sources: full batches from lists and busy sources,
// partial ones from a source that has gone quiet.
const assert = require('assert');
const { batchesOf } = require('../dist/pipeline/batching');
const { RequestQueue } = require('../dist/pipeline/request-queue');

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

describe('RequestQueue', () => {
  it('answers each submission with its own result, first in first out', async () => {
    const q = new RequestQueue(async function* (source) {
      for await (const b of batchesOf(source, 4, 0)) for (const x of b) yield x * 10;
    });
    const out = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => q.submit(x)));
    assert.deepStrictEqual(out, [10, 20, 30, 40, 50, 60]);
    assert.strictEqual(q.pending, 0);
    q.close();
    await assert.rejects(q.submit(7), { code: 'ERR_SESSION_CLOSED' });
  });

  it('rejects everything waiting when the stream fails, then serves the next submission afresh', async () => {
    let streams = 0;
    const q = new RequestQueue(async function* (source) {
      streams++;
      for await (const x of source) {
        if (x === 'boom') throw new Error('model fell over');
        yield x.toUpperCase();
      }
    });
    const settled = await Promise.allSettled([q.submit('a'), q.submit('boom'), q.submit('c')]);
    assert.deepStrictEqual(settled.map((s) => s.status), ['fulfilled', 'rejected', 'rejected']);
    assert.strictEqual(settled[0].value, 'A');
    assert.match(settled[1].reason.message, /model fell over/);
    assert.strictEqual(await q.submit('d'), 'D');
    assert.strictEqual(streams, 2);
    q.close();
  });

  it('sheds load past maxPending with ERR_BUSY, and takes requests again once answered', async () => {
    const q = new RequestQueue(async function* (source) {
      for await (const batch of batchesOf(source, 4, 0)) for (const x of batch) yield x * 2;
    }, 2);
    const settled = await Promise.allSettled([q.submit(1), q.submit(2), q.submit(3)]);
    assert.deepStrictEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'rejected']);
    assert.deepStrictEqual([settled[0].value, settled[1].value], [2, 4]);
    assert.strictEqual(settled[2].reason.code, 'ERR_BUSY');
    assert.strictEqual(await q.submit(5), 10);
    q.close();
  });

  it('after a failure, a stream of batches parked on its source gives the next stream every item', async () => {
    // The failed stream's source is left waiting for its next item; woken by the next
    // submissions, it must not take one of them (that request would never be answered
    // and every later answer would go to the wrong caller).
    const q = new RequestQueue(async function* (source) {
      for await (const batch of batchesOf(source, 4, 0)) {
        for (const x of batch) {
          if (x === 'boom') throw new Error('batch failed');
          yield x.toUpperCase();
        }
      }
    });
    await assert.rejects(q.submit('boom'), /batch failed/);
    assert.deepStrictEqual(await Promise.all([q.submit('a'), q.submit('b')]), ['A', 'B']);
    assert.deepStrictEqual(await Promise.all([q.submit('c'), q.submit('d'), q.submit('e')]), ['C', 'D', 'E']);
    q.close();
  });
});
