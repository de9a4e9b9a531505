'use strict';
const assert = require('assert');
const path = require('path');
const { execFile } = require('child_process');
const { Classifier, ModelSession, runtimeInfo } = require('../dist');
const { buildModel, constantDetector, meanClassifier, node, valueInfo } = require('./helpers/onnx');

describe('ModelSession', () => {
  it('describes inputs, outputs (symbolic dims by name) and metadata', async () => {
    const s = await ModelSession.create(constantDetector({ rows: [[1, 1, 1, 1, 1, 1]], height: 'h', width: 640, metadata: { names: "{0: 'a'}", stride: '32' } }));
    assert.deepStrictEqual(s.info.inputs, [{ name: 'images', type: 'float32', shape: ['batch', 3, 'h', 640] }]);
    assert.deepStrictEqual(s.info.outputs, [{ name: 'output', type: 'float32', shape: ['batch', 1, 6] }]);
    assert.strictEqual(s.info.metadata.names, "{0: 'a'}");
    assert.strictEqual(s.info.metadata.stride, '32');
    assert.strictEqual(s.info.producer, 'die-inspect-tests');
    assert.strictEqual(s.provider, 'cpu');
    s.close();
    assert.ok(s.closed);
  });

  it('falls back to CPU when TensorRT or CUDA cannot load, and says why', async () => {
    for (const provider of ['tensorrt', 'cuda']) {
      const s = await ModelSession.create(meanClassifier(), { provider, fp16: true, trtEngineCacheDir: '/tmp/trt-cache', trtTimingCacheDir: false });
      const failed = s.info.providerAttempts.filter((a) => !a.ok).map((a) => a.provider);
      if (s.provider === 'cpu') {
        assert.deepStrictEqual(failed, provider === 'tensorrt' ? ['tensorrt', 'cuda'] : ['cuda']);
        for (const a of s.info.providerAttempts) assert.ok(a.reason.length > 10, 'reason reported');
      } else {
        assert.strictEqual(s.provider, provider); // a GPU machine: the provider loaded
      }
      s.close();
    }
  });

  it('uses the CPU only when asked: a list of accelerators alone fails with the reasons', async () => {
    for (const providers of [['cuda'], ['tensorrt', 'cuda']]) {
      let s;
      try {
        s = await ModelSession.create(meanClassifier(), { providers });
      } catch (e) {
        assert.strictEqual(e.code, 'ERR_PROVIDER_UNAVAILABLE');
        for (const p of providers) assert.ok(e.message.includes(`${p}: `), `${p}'s reason in: ${e.message}`);
        assert.match(e.message, /add 'cpu'/);
        continue;
      }
      assert.ok(providers.includes(s.provider), `ran on ${s.provider}, not one of ${providers}`); // a GPU machine
      s.close();
    }
    // A model the CPU cannot load either is reported as the model's fault, whatever was asked for.
    await assert.rejects(ModelSession.create(Buffer.from('not an onnx model'), { providers: ['cuda'] }), { code: 'ERR_MODEL_LOAD' });
  });

  it("loads after onnxruntime-node's own API made ORT's one environment first (no shared thread pool)", async () => {
    // A fresh process: this one's environment exists already.
    const script = `
      const ort = require('onnxruntime-node');
      (async () => {
        await ort.InferenceSession.create(process.argv[1]);
        const { ModelSession } = require('./dist');
        const shared = await ModelSession.create(process.argv[1]);
        const own = await ModelSession.create(process.argv[1], { intraOpThreads: 1 });
        const r = await shared.benchmark({ batch: 1, warmup: 1, iters: 1 });
        process.stdout.write(JSON.stringify([shared.provider, own.provider, r.ms.length]));
      })().catch((e) => { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })); });`;
    const model = path.join(__dirname, '..', 'models', 'die-good-defect-vggs.onnx');
    const out = await new Promise((resolve, reject) => execFile(process.execPath, ['-e', script, model],
      { cwd: path.join(__dirname, '..') }, (err, stdout) => (err ? reject(err) : resolve(stdout))));
    assert.deepStrictEqual(JSON.parse(out), ['cpu', 'cpu', 1]);
  });

  it('runs raw feeds and returns outputs by name', async () => {
    const s = await ModelSession.create(meanClassifier({ size: 2 }));
    const data = new Float32Array(2 * 3 * 2 * 2);
    for (let i = 0; i < data.length; i++) data[i] = i;
    const out = await s.run({ images: { data, dims: [2, 3, 2, 2] } });
    assert.deepStrictEqual(out.logits.dims, [2, 3]);
    assert.strictEqual(out.logits.type, 'float32');
    // Mean of each 2x2 plane: planes hold 0-3, 4-7, ...
    assert.deepStrictEqual(Array.from(out.logits.data), [1.5, 5.5, 9.5, 13.5, 17.5, 21.5]);
  });

  it('validates raw feeds before running', async () => {
    const s = await ModelSession.create(meanClassifier({ size: 2 }));
    await assert.rejects(s.run({}), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(s.run({ images: { data: new Float32Array(5), dims: [1, 3, 2, 2] } }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(s.run({ images: { data: new Float32Array(12), dims: [1, 3, 4] } }), { code: 'ERR_MODEL_INPUT' });
    await assert.rejects(s.run({ images: { data: new Float32Array(27), dims: [1, 3, 3, 3] } }), { code: 'ERR_MODEL_INPUT' });
    // The element type is checked against the model's before the call, not left to ONNX Runtime.
    await assert.rejects(s.run({ images: { data: new Int32Array(12), dims: [1, 3, 2, 2] } }),
      (e) => e.code === 'ERR_MODEL_INPUT' && /is float32, got int32/.test(e.message));
    await assert.rejects(s.run({ images: { data: new Float64Array(12), dims: [1, 3, 2, 2] } }), { code: 'ERR_MODEL_INPUT' });
    // Dims whose product wraps around size_t, or that no integer holds, are refused.
    const wide = await ModelSession.create(meanClassifier({ size: 'w' }));
    await assert.rejects(wide.run({ images: { data: new Float32Array(0), dims: [2 ** 32, 3, 2 ** 31, 2 ** 31] } }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(s.run({ images: { data: new Float32Array(12), dims: [1e300, 3, 2, 2] } }), { code: 'ERR_INVALID_ARG' });
  });

  it('returns empty outputs as usable empty arrays (a batch of 0)', async () => {
    const s = await ModelSession.create(meanClassifier({ size: 2 }));
    const out = await s.run({ images: { data: new Float32Array(0), dims: [0, 3, 2, 2] } });
    assert.deepStrictEqual(out.logits.dims, [0, 3]);
    assert.ok(out.logits.data instanceof Float32Array);
    assert.deepStrictEqual(Array.from(out.logits.data), []);
  });

  it('refuses sequence outputs with a typed error instead of taking the process down', async () => {
    const seq = { name: 'seq', type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } } };
    const model = buildModel({ inputs: [valueInfo('images', ['b', 3, 8, 8])], outputs: [seq], nodes: [node('SequenceConstruct', ['images'], ['seq'])] });
    const s = await ModelSession.create(model);
    assert.strictEqual(s.info.outputs[0].type, 'non-tensor');
    await assert.rejects(s.run({ images: { data: new Float32Array(192), dims: [1, 3, 8, 8] } }),
      (e) => e.code === 'ERR_OUTPUT_LAYOUT' && /sequence or map/.test(e.message));
    const cls = await Classifier.create(model);
    await assert.rejects(cls.classify([{ data: new Uint8Array(192), width: 8, height: 8, channels: 3 }]), { code: 'ERR_OUTPUT_LAYOUT' });
  });

  it('benchmarks with random input natively', async () => {
    const s = await ModelSession.create(meanClassifier());
    const r = await s.benchmark({ batch: 4, warmup: 2, iters: 5, height: 32 });
    assert.strictEqual(r.ms.length, 5);
    assert.ok(r.ms.every((v) => v > 0));
    assert.strictEqual(r.batch, 4);
  });

  it('rejects bad provider names and options with typed errors', async () => {
    await assert.rejects(ModelSession.create(meanClassifier(), { providers: ['openvino'] }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(ModelSession.create(meanClassifier(), { intraOpThreads: -1 }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(ModelSession.create(meanClassifier(), { intraOpThreads: 1e20 }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(ModelSession.create(meanClassifier(), { deviceId: 0.5 }), { code: 'ERR_INVALID_ARG' });
    await assert.rejects(ModelSession.create(42), { code: 'ERR_INVALID_ARG' });
  });

  it('takes the TensorRT and CUDA tuning options, checked before any provider is tried', async () => {
    const bad = [{ trtBuilderOptimizationLevel: 6 }, { trtBuilderOptimizationLevel: -2 }, { trtBuilderOptimizationLevel: 2.5 },
      { trtInt8: 'yes' }, { cudaGraph: 1 }];
    for (const o of bad) {
      await assert.rejects(ModelSession.create(meanClassifier(), { providers: ['tensorrt', 'cuda', 'cpu'], ...o }),
        (e) => e.code === 'ERR_INVALID_ARG' && /trtBuilderOptimizationLevel|trtInt8|cudaGraph/.test(e.message), JSON.stringify(o));
    }
    // Valid ones reach the providers; where TensorRT and CUDA cannot load (no GPU) the chain ends on the CPU.
    const s = await ModelSession.create(meanClassifier(), {
      providers: ['tensorrt', 'cuda', 'cpu'], fp16: true, trtInt8: true, cudaGraph: true, trtBuilderOptimizationLevel: 5,
    });
    const attempts = s.info.providerAttempts;
    assert.strictEqual(attempts[0].provider, 'tensorrt', JSON.stringify(attempts));
    for (const a of attempts.filter((x) => !x.ok)) assert.ok(a.reason.length > 0, JSON.stringify(a));
    assert.ok(['tensorrt', 'cuda', 'cpu'].includes(s.provider));
    const out = await s.run({ images: { data: new Float32Array(3 * 32 * 32).fill(0.5), dims: [1, 3, 32, 32] } });
    assert.deepStrictEqual(Array.from(Object.values(out)[0].data), [0.5, 0.5, 0.5]);
    s.close();
  });

  it('runs through an I/O binding when asked, with the same outputs; on the CPU only when asked', async () => {
    const plain = await ModelSession.create(meanClassifier());
    const bound = await ModelSession.create(meanClassifier(), { ioBinding: true });
    assert.strictEqual(plain.info.ioBinding, false);
    assert.strictEqual(bound.info.ioBinding, true);
    assert.strictEqual(bound.info.pinnedInput, false);  // pinned host memory is the CUDA provider's
    const feeds = { images: { data: new Float32Array(2 * 3 * 32 * 32).fill(0.25), dims: [2, 3, 32, 32] } };
    const out = await bound.run(feeds);
    assert.deepStrictEqual(Array.from(Object.values(out)[0].data), [0.25, 0.25, 0.25, 0.25, 0.25, 0.25]);
    await assert.rejects(ModelSession.create(meanClassifier(), { ioBinding: 'yes' }), { code: 'ERR_INVALID_ARG' });
    plain.close();
    bound.close();
  });

  it('a batch with an unreadable image in it gives every other image the result it gets alone, bound or not', async () => {
    const dir = path.join(__dirname, '..', 'samples', 'images');
    const good = ['000000.jpg', '000003.jpg', '000005.jpg'].map((f) => path.join(dir, f));
    const batch = [good[0], path.join(dir, 'missing.jpg'), good[1], good[2]];
    for (const ioBinding of [false, true]) {
      const c = await Classifier.create('die-good-defect-vggs', { maxBatch: 4, ioBinding });
      const alone = [];
      for (const f of good) alone.push((await c.classify([f]))[0].probabilities);
      const rs = await c.classify(batch);
      assert.strictEqual(rs[1].error.code, 'ERR_FILE_NOT_FOUND');
      assert.deepStrictEqual([rs[0], rs[2], rs[3]].map((r) => r.probabilities), alone, `ioBinding ${ioBinding}`);
      c.close();
    }
  });

  it('takes a spinning pool of its own when asked, with the same outputs', async () => {
    const s = await ModelSession.create(meanClassifier(), { intraOpSpinning: true, intraOpThreads: 1 });
    const out = await s.run({ images: { data: new Float32Array(3 * 32 * 32).fill(0.75), dims: [1, 3, 32, 32] } });
    assert.deepStrictEqual(Array.from(Object.values(out)[0].data), [0.75, 0.75, 0.75]);
    s.close();
    await assert.rejects(ModelSession.create(meanClassifier(), { intraOpSpinning: 1 }), { code: 'ERR_INVALID_ARG' });
  });

  it('reports the ONNX Runtime version', () => {
    const r = runtimeInfo();
    assert.match(r.ortVersion, /^1\.29\./);
    assert.ok(r.compiledProviders.includes('CPUExecutionProvider'));
  });
});

describe('package entry points', () => {
  it('exposes the classes from CommonJS and ESM alike', async () => {
    const cjs = require('..');
    const esm = await import('die-inspect');
    for (const name of ['Detector', 'Classifier', 'ClassifierEnsemble', 'DieInspectError', 'Inspector', 'Roi', 'synthesize', 'annotateImage']) {
      assert.strictEqual(typeof cjs[name], 'function', name);
      assert.strictEqual(esm[name], cjs[name], name);
    }
    // Evaluation is its own entry point, in both module systems.
    const evalCjs = require('die-inspect/eval');
    const evalEsm = await import('die-inspect/eval');
    for (const name of ['evaluateDetections', 'rocAuc', 'readDetectionDataset']) {
      assert.strictEqual(typeof evalCjs[name], 'function', name);
      assert.strictEqual(evalEsm[name], evalCjs[name], name);
    }
    for (const name of Object.keys(evalCjs)) assert.strictEqual(evalEsm[name], evalCjs[name], name);
    // Every CommonJS export, values included, is an ESM export too.
    for (const name of Object.keys(cjs)) assert.strictEqual(esm[name], cjs[name], name);
    assert.strictEqual(esm.DEFAULT_LIMIT_INPUT_PIXELS, 16383 * 16383);
  });
});
