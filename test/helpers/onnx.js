'use strict';
// Builds small ONNX models with exactly known outputs, so detector and
// classifier tests can check decoded results against hand-computed answers.
const { onnx } = require('onnx-proto');

const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;

function floatTensor(name, dims, values) {
  return onnx.TensorProto.create({ name, dims, dataType: FLOAT, floatData: Array.from(values) });
}

function int64Tensor(name, dims, values) {
  return onnx.TensorProto.create({ name, dims, dataType: INT64, int64Data: values });
}

function valueInfo(name, dims, elemType = FLOAT) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
}

function node(opType, inputs, outputs, attrs = {}) {
  const attribute = Object.entries(attrs).map(([name, v]) => {
    if (Array.isArray(v)) return onnx.AttributeProto.create({ name, ints: v, type: onnx.AttributeProto.AttributeType.INTS });
    return onnx.AttributeProto.create({ name, i: v, type: onnx.AttributeProto.AttributeType.INT });
  });
  return onnx.NodeProto.create({ opType, input: inputs, output: outputs, attribute });
}

/** Serialises a graph to ONNX bytes. */
function buildModel({ inputs, outputs, nodes, initializers = [], metadata = {}, opset = 13 }) {
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'die-inspect-tests',
    opsetImport: [{ domain: '', version: opset }],
    graph: onnx.GraphProto.create({ name: 'test', node: nodes, input: inputs, output: outputs, initializer: initializers }),
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/**
 * A detector whose output is the constant `rows` (a [N][D] array), broadcast
 * over the batch, plus `brightness` x (mean of the input image) added to the
 * entries set in `brightnessMask` (same shape as rows), so per-image scores can
 * depend on image content. Input [batch, 3, H, W] (H/W numbers or symbolic).
 */
function constantDetector({ rows, layout = 'yolov5', batch = 'batch', height = 640, width = 640, brightnessMask, metadata }) {
  let out = rows;
  let mask = brightnessMask;
  if (layout === 'yolov8') {
    // [4 + C, N]: attribute-major.
    out = rows[0].map((_, j) => rows.map((r) => r[j]));
    if (mask) mask = mask[0].map((_, j) => mask.map((r) => r[j]));
  }
  const A = out.length;
  const B = out[0].length;
  const nodes = [
    node('Shape', ['images'], ['shape']),
    node('Slice', ['shape', 'zero', 'one'], ['batch_dim']),
    node('Concat', ['batch_dim', 'tail'], ['out_shape'], { axis: 0 }),
    node('Expand', ['const'], ['expanded'], {}),
  ];
  nodes[3].input.push('out_shape');
  const initializers = [
    int64Tensor('zero', [1], [0]),
    int64Tensor('one', [1], [1]),
    int64Tensor('tail', [2], [A, B]),
    floatTensor('const', [1, A, B], out.flat()),
  ];
  let last = 'expanded';
  if (mask) {
    nodes.push(node('ReduceMean', ['images'], ['mean'], { axes: [1, 2, 3], keepdims: 1 }));
    nodes.push(node('Reshape', ['mean', 'mean_shape'], ['mean3']));
    nodes.push(node('Mul', ['mean3', 'mask'], ['scaled']));
    nodes.push(node('Add', ['expanded', 'scaled'], ['output']));
    initializers.push(int64Tensor('mean_shape', [3], [-1, 1, 1]), floatTensor('mask', [1, A, B], mask.flat()));
    last = 'output';
  } else {
    nodes.push(node('Identity', ['expanded'], ['output']));
    last = 'output';
  }
  return buildModel({
    inputs: [valueInfo('images', [batch, 3, height, width])],
    outputs: [valueInfo(last, [batch, A, B])],
    nodes,
    initializers,
    metadata,
  });
}

/**
 * A classifier whose logits are the per-channel means of its (normalised) input:
 * GlobalAveragePool -> Flatten -> [B, 3]. With `softmax` the model outputs
 * probabilities; with `single` it outputs one logit, the mean of all channels.
 */
function meanClassifier({ softmax = false, single = false, size = 32, metadata } = {}) {
  const nodes = [node('GlobalAveragePool', ['images'], ['pooled']), node('Flatten', ['pooled'], ['flat'], { axis: 1 })];
  let last = 'flat';
  let k = 3;
  if (single) {
    nodes.push(node('ReduceMean', ['flat'], ['one'], { axes: [1], keepdims: 1 }));
    last = 'one';
    k = 1;
  }
  if (softmax) {
    nodes.push(node('Softmax', [last], ['probs'], { axis: 1 }));
    last = 'probs';
  }
  nodes.push(node('Identity', [last], ['logits']));
  return buildModel({
    inputs: [valueInfo('images', ['batch', 3, size, size])],
    outputs: [valueInfo('logits', ['batch', k])],
    nodes,
    metadata,
  });
}

/** A classifier whose logits are the constant `logits` for every image (any input size). */
function constantClassifier(logits, metadata = {}) {
  const k = logits.length;
  return buildModel({
    inputs: [valueInfo('images', ['batch', 3, 64, 64])],
    outputs: [valueInfo('logits', ['batch', k])],
    nodes: [
      node('GlobalAveragePool', ['images'], ['pooled']),
      node('Flatten', ['pooled'], ['flat'], { axis: 1 }),
      node('MatMul', ['flat', 'zeros'], ['zero']),
      node('Add', ['zero', 'bias'], ['logits']),
    ],
    initializers: [floatTensor('zeros', [3, k], new Array(3 * k).fill(0)), floatTensor('bias', [k], logits)],
    metadata,
  });
}

/** A model whose input is not an image tensor (rank 3). */
function rank3Model() {
  return buildModel({
    inputs: [valueInfo('x', ['batch', 3, 8])],
    outputs: [valueInfo('y', ['batch', 3, 8])],
    nodes: [node('Identity', ['x'], ['y'])],
  });
}

/** Image input, but a [B, 7] output that no YOLO layout fits. */
function flatOutputModel() {
  return buildModel({
    inputs: [valueInfo('images', ['batch', 3, 64, 64])],
    outputs: [valueInfo('y', ['batch', 3])],
    nodes: [node('GlobalAveragePool', ['images'], ['p']), node('Flatten', ['p'], ['y'], { axis: 1 })],
  });
}

module.exports = {
  constantClassifier, buildModel, constantDetector, meanClassifier, rank3Model, flatOutputModel, valueInfo, node, floatTensor, int64Tensor };
