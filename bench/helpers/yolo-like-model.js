'use strict';
// A YOLO-shaped stand-in for benchmarks when no trained model is given: a
// stride-32 conv backbone with random weights (about 8 GFLOPs at 640, the same
// order as YOLOv7-tiny), ending in a decoded-style [B, N, 5 + C] output.
const { buildModel, valueInfo, node, floatTensor, int64Tensor } = require('../../test/helpers/onnx');

function rng(seed) {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296 - 0.5;
  };
}

function yoloLikeModel({ classes = 2, seed = 1 } = {}) {
  const r = rng(seed);
  const nodes = [];
  const inits = [];
  let prev = 'images';
  let cin = 3;
  let id = 0;
  const conv = (cout, k, stride) => {
    const name = `c${id++}`;
    const fan = cin * k * k;
    inits.push(floatTensor(`${name}.w`, [cout, cin, k, k], Array.from({ length: cout * fan }, () => r() * 2 / Math.sqrt(fan))));
    inits.push(floatTensor(`${name}.b`, [cout], Array.from({ length: cout }, () => 0)));
    const p = (k - 1) / 2;
    nodes.push(node('Conv', [prev, `${name}.w`, `${name}.b`], [`${name}.y`], { kernel_shape: [k, k], strides: [stride, stride], pads: [p, p, p, p] }));
    nodes.push(node('LeakyRelu', [`${name}.y`], [`${name}.a`]));
    prev = `${name}.a`;
    cin = cout;
  };
  // Channel plan tuned so the graph is ~13 GFLOPs at 640x640.
  for (const [cout, reps] of [[32, 1], [64, 2], [128, 2], [256, 2], [512, 2]]) {
    conv(cout, 3, 2);
    for (let i = 1; i < reps; i++) { conv(cout / 2, 1, 1); conv(cout, 3, 1); }
  }
  const per = 5 + classes;
  conv(3 * per, 1, 1);
  nodes.pop(); // the head has no activation: Sigmoid below
  const head = `c${id - 1}.y`;
  // [B, 3*per, H, W] -> [B, H*W*3, per] with sigmoid, like a decoded head.
  nodes.push(node('Reshape', [head, 'shape1'], ['r1']));
  nodes.push(node('Transpose', ['r1'], ['t1'], { perm: [0, 1, 3, 2] }));
  nodes.push(node('Reshape', ['t1', 'shape2'], ['r2']));
  nodes.push(node('Sigmoid', ['r2'], ['output']));
  inits.push(int64Tensor('shape1', [4], [0, 3 * per, 1, -1]), int64Tensor('shape2', [3], [0, -1, per]));
  // Note: values are in 0..1 (not pixels); the benchmark measures speed, not boxes.
  return buildModel({
    inputs: [valueInfo('images', ['batch', 3, 'height', 'width'])],
    outputs: [valueInfo('output', ['batch', 'anchors', per])],
    nodes,
    initializers: inits,
    metadata: { names: JSON.stringify(Object.fromEntries(Array.from({ length: classes }, (_, i) => [i, `class${i}`]))) },
  });
}

module.exports = { yoloLikeModel };
