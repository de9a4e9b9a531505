'use strict';
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { ModelSession, runtimeInfo } = require('../dist');
const { cacheRoot, defaultTrtCacheDirs } = require('../dist/trt-cache');
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

  it('keys engines by the model bytes under the ORT version; timing cache shared', async () => {
    const a = meanClassifier({ size: 2 });
    const b = meanClassifier({ size: 4 });
    const file = path.join(tmp, 'a.onnx');
    fs.writeFileSync(file, a);
    const sha = crypto.createHash('sha256').update(a).digest('hex');
    const base = path.join(tmp, 'cache', 'tensorrt', 'ort-1.2.3');
    const fromFile = await defaultTrtCacheDirs(file, '1.2.3');
    assert.deepStrictEqual(fromFile, { engine: path.join(base, sha.slice(0, 32)), timing: path.join(base, 'timing') });
    assert.ok(fs.statSync(fromFile.engine).isDirectory() && fs.statSync(fromFile.timing).isDirectory());
    assert.deepStrictEqual(await defaultTrtCacheDirs(a, '1.2.3'), fromFile, 'a Buffer of the same bytes');
    const other = await defaultTrtCacheDirs(b, '1.2.3');
    assert.notStrictEqual(other.engine, fromFile.engine);
    assert.strictEqual(other.timing, fromFile.timing);
    assert.notStrictEqual((await defaultTrtCacheDirs(a, '1.2.4')).engine, fromFile.engine);
    // Nothing safe to key on: the native loader reports these paths itself.
    assert.strictEqual(await defaultTrtCacheDirs(tmp, '1.2.3'), null);
    assert.strictEqual(await defaultTrtCacheDirs(path.join(tmp, 'missing.onnx'), '1.2.3'), null);
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
    assert.ok(fs.statSync(dir).isDirectory(), 'default engine folder made for this model');
  });
});
