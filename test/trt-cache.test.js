'use strict';
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');
const { ModelSession, runtimeInfo } = require('../dist');
const { cacheRoot, defaultTrtCacheDir, withCacheLock } = require('../dist/runtime/trt-cache');
const { meanClassifier } = require('./helpers/onnx');

describe('TensorRT engine cache default', () => {
  let tmp, saved;
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'di-trt-'));
    saved = process.env.DIE_INSPECT_CACHE_DIR;
    process.env.DIE_INSPECT_CACHE_DIR = path.join(tmp, 'cache');
  });
  after(() => {
    if (saved === undefined) delete process.env.DIE_INSPECT_CACHE_DIR;
    else process.env.DIE_INSPECT_CACHE_DIR = saved;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lives in DIE_INSPECT_CACHE_DIR, else XDG_CACHE_HOME, else ~/.cache', () => {
    assert.strictEqual(cacheRoot({ DIE_INSPECT_CACHE_DIR: '/x/y', XDG_CACHE_HOME: '/z' }), '/x/y');
    assert.strictEqual(cacheRoot({ XDG_CACHE_HOME: '/z' }), '/z/die-inspect');
    assert.strictEqual(cacheRoot({}), path.join(os.homedir(), '.cache', 'die-inspect'));
  });

  it('keys a folder by the model bytes under the ORT version', async () => {
    const a = meanClassifier({ size: 2 });
    const b = meanClassifier({ size: 4 });
    const file = path.join(tmp, 'a.onnx');
    fs.writeFileSync(file, a);
    const sha = crypto.createHash('sha256').update(a).digest('hex');
    const fromFile = await defaultTrtCacheDir(file, '1.2.3');
    assert.strictEqual(fromFile, path.join(tmp, 'cache', 'tensorrt', 'ort-1.2.3', sha.slice(0, 32)));
    assert.ok(fs.statSync(fromFile).isDirectory());
    assert.strictEqual(await defaultTrtCacheDir(a, '1.2.3'), fromFile, 'a Buffer of the same bytes');
    assert.notStrictEqual(await defaultTrtCacheDir(b, '1.2.3'), fromFile);
    assert.notStrictEqual(await defaultTrtCacheDir(a, '1.2.4'), fromFile);
    // Nothing safe to key on: the native loader reports these paths itself.
    assert.strictEqual(await defaultTrtCacheDir(tmp, '1.2.3'), null);
    assert.strictEqual(await defaultTrtCacheDir(path.join(tmp, 'missing.onnx'), '1.2.3'), null);
  });

  it('is used when TensorRT is asked for, and not when the caller says false', async () => {
    const model = meanClassifier({ size: 3 });
    const dir = path.join(tmp, 'cache', 'tensorrt', `ort-${runtimeInfo().ortVersion}`,
      crypto.createHash('sha256').update(model).digest('hex').slice(0, 32));
    let s = await ModelSession.create(model, { provider: 'cuda' });
    s.close();
    assert.ok(!fs.existsSync(dir), 'no TensorRT, no cache folder');
    s = await ModelSession.create(model, { provider: 'tensorrt', trtEngineCacheDir: false, trtTimingCacheDir: false });
    s.close();
    assert.ok(!fs.existsSync(dir), 'false turns it off');
    s = await ModelSession.create(model, { provider: 'tensorrt' });
    s.close();
    assert.ok(fs.statSync(dir).isDirectory(), 'default folder made for this model');
    assert.deepStrictEqual(fs.readdirSync(dir).filter((f) => f === '.lock'), [], 'lock released');
  });

  it('lets one loader at a time into a folder and takes over a dead process\'s lock', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'lock-'));
    const spans = [];
    const job = (name) => withCacheLock(dir, async () => {
      const start = Date.now();
      assert.strictEqual(fs.readFileSync(path.join(dir, '.lock'), 'utf8'), `${process.pid} ${os.hostname()}`);
      await new Promise((r) => setTimeout(r, 60));
      spans.push({ name, start, end: Date.now() });
      return name;
    }, 10);
    assert.deepStrictEqual(await Promise.all([job('a'), job('b'), job('c')]), ['a', 'b', 'c']);
    spans.sort((x, y) => x.start - y.start);
    for (let i = 1; i < spans.length; i++) assert.ok(spans[i].start >= spans[i - 1].end, 'no two inside at once');
    assert.ok(!fs.existsSync(path.join(dir, '.lock')));
    // A lock left by a process that has exited is not waited for.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    fs.writeFileSync(path.join(dir, '.lock'), `${dead} ${os.hostname()}`);
    assert.strictEqual(await withCacheLock(dir, async () => 'taken over', 10), 'taken over');
    // So is one with this process's own pid that this process does not hold (a restarted
    // container's process gets the pid of the one that crashed holding it).
    fs.writeFileSync(path.join(dir, '.lock'), `${process.pid} ${os.hostname()}`);
    assert.strictEqual(await withCacheLock(dir, async () => 'ours, stale', 10), 'ours, stale');
    // An empty lock is one being written: waited on, unless it has stayed empty (its writer died).
    fs.writeFileSync(path.join(dir, '.lock'), '');
    const afterEmpty = withCacheLock(dir, async () => 'after the empty lock', 10);
    await new Promise((r) => setTimeout(r, 80));
    assert.strictEqual(fs.readFileSync(path.join(dir, '.lock'), 'utf8'), '', 'a fresh empty lock is waited on');
    const longAgo = new Date(Date.now() - 60 * 1000);
    fs.utimesSync(path.join(dir, '.lock'), longAgo, longAgo);
    assert.strictEqual(await afterEmpty, 'after the empty lock');
    // Another host's (container's) lock cannot be asked: waited on while fresh, taken over when old.
    fs.writeFileSync(path.join(dir, '.lock'), `${process.pid} elsewhere`);
    const old = new Date(Date.now() - 31 * 60 * 1000);
    const waiting = withCacheLock(dir, async () => 'after the old lock', 10);
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(fs.existsSync(path.join(dir, '.lock')) && fs.readFileSync(path.join(dir, '.lock'), 'utf8') === `${process.pid} elsewhere`, 'a fresh foreign lock is waited on');
    fs.utimesSync(path.join(dir, '.lock'), old, old);
    assert.strictEqual(await waiting, 'after the old lock');
    // The lock is released when the load fails, and the failure reaches the caller.
    await assert.rejects(withCacheLock(dir, async () => { throw new Error('boom'); }, 10), /boom/);
    assert.ok(!fs.existsSync(path.join(dir, '.lock')));
  });
});
