'use strict';
const assert = require('assert');
const path = require('path');
const { graphStats } = require('../dist/runtime/onnx/graph-stats');
const { buildModel, valueInfo, node, floatTensor, int64Tensor } = require('./helpers/onnx');

const zeros = (n) => new Array(n).fill(0);

describe('graphStats (params and GFLOPs from the ONNX graph)', () => {
  it('counts a small YOLO-like stack by hand', async () => {
    // x[1,3,H,W] -> Conv 3->16 k3 s2 p1 -> MaxPool k2 s2 -> Conv 16->32 k1 (group 2)
    //   -> Resize x2 -> Concat with itself -> Conv 64->8 k3 s1 p1
    const model = buildModel({
      inputs: [valueInfo('x', ['b', 3, 'h', 'w'])],
      outputs: [valueInfo('y', ['b', 8, 'h4', 'w4'])],
      nodes: [
        node('Conv', ['x', 'w1', 'b1'], ['c1'], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
        node('MaxPool', ['c1'], ['p1'], { kernel_shape: [2, 2], strides: [2, 2] }),
        node('Conv', ['p1', 'w2'], ['c2'], { kernel_shape: [1, 1], group: 2 }),
        node('LeakyRelu', ['c2'], ['a2']),
        node('Resize', ['a2', '', 'scales'], ['r2']),
        node('Concat', ['r2', 'r2'], ['cat'], { axis: 1 }),
        node('Conv', ['cat', 'w3'], ['y'], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
      ],
      initializers: [
        floatTensor('w1', [16, 3, 3, 3], zeros(432)), floatTensor('b1', [16], zeros(16)),
        floatTensor('w2', [32, 8, 1, 1], zeros(256)),
        floatTensor('scales', [4], [1, 1, 2, 2]),
        floatTensor('w3', [8, 64, 3, 3], zeros(4608)),
      ],
    });
    const s = await graphStats(model, { height: 64, width: 64 });
    // params: weights and biases, the 4 Resize scales included (floats in the file).
    assert.strictEqual(s.params, 432 + 16 + 256 + 4 + 4608);
    // MACs: conv1 16*32*32 outputs * 3*9 = 442,368; conv2 32*16*16 * 8 = 65,536;
    // conv3 8*32*32 * 64*9 = 4,718,592. GFLOPs = 2 * MACs / 1e9.
    const macs = 16 * 32 * 32 * 27 + 32 * 16 * 16 * 8 + 8 * 32 * 32 * 576;
    assert.ok(Math.abs(s.gflops - (2 * macs) / 1e9) < 1e-12, String(s.gflops));
    assert.deepStrictEqual(s.inputShape, [1, 3, 64, 64]);
    assert.deepStrictEqual(s.unknownOps, []);
  });

  it('follows Reshape/Transpose/Gemm and reports ops it cannot follow', async () => {
    const model = buildModel({
      inputs: [valueInfo('x', [2, 4, 3])],
      outputs: [valueInfo('y', [2, 5])],
      nodes: [
        node('Transpose', ['x'], ['t'], { perm: [0, 2, 1] }),
        node('Reshape', ['t', 'shape'], ['r']),
        node('Gemm', ['r', 'w'], ['y'], { transB: 1 }),
        node('Mystery', ['y'], ['z']),
      ],
      initializers: [int64Tensor('shape', [2], [0, -1]), floatTensor('w', [5, 12], zeros(60))],
    });
    const s = await graphStats(model);
    assert.strictEqual(s.params, 60);
    assert.ok(Math.abs(s.gflops - (2 * 2 * 12 * 5) / 1e9) < 1e-15);
    assert.deepStrictEqual(s.unknownOps, ['Mystery']);
  });

  it('counts a Conv fed by a channel Concat with an input it cannot follow (CoordConv), not a spatial one', async () => {
    // x[1,4,8,8] Concat coords[?] (made by an op the walk does not know) -> Conv (4+2)->3 k1.
    const model = (axis) => buildModel({
      inputs: [valueInfo('x', [1, 4, 8, 8])],
      outputs: [valueInfo('y', [1, 3, 8, 8])],
      nodes: [
        node('Mystery', ['x'], ['coords']),
        node('Concat', ['x', 'coords'], ['cat'], { axis }),
        node('Conv', ['cat', 'w'], ['y'], { kernel_shape: [1, 1] }),
      ],
      initializers: [floatTensor('w', [3, 6, 1, 1], zeros(18))],
    });
    const channels = await graphStats(model(1));
    // 3 outputs * 8 * 8 positions * 6 input channels (from the weight) MACs.
    assert.ok(Math.abs(channels.gflops - (2 * 3 * 64 * 6) / 1e9) < 1e-15, String(channels.gflops));
    // Concatenated along height, the Conv's output size is unknown: no figure rather than a wrong one.
    assert.strictEqual((await graphStats(model(2))).gflops, null);
  });

  it('reads a shipped model file: params and GFLOPs match its card', async () => {
    // An exported model (raw_data weights, unpacked int64 dims) rather than one built by the test helper.
    const models = path.join(__dirname, '..', 'models');
    const card = require(path.join(models, 'die-defect-yolov7tiny.json'));
    const s = await graphStats(path.join(models, 'die-defect-yolov7tiny.onnx'));
    assert.strictEqual(s.params, card.params);
    assert.ok(Math.abs(s.gflops - card.gflops) < 1e-9, String(s.gflops));
    assert.deepStrictEqual(s.inputShape, [1, 3, 640, 640]);
  });

  it('rejects bytes that are not ONNX', async () => {
    await assert.rejects(graphStats(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f])), { code: 'ERR_MODEL_LOAD' });
  });
});
