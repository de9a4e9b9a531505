'use strict';
// Builds small ONNX models with exactly known outputs, so detector and
// classifier tests can check decoded results against hand-computed answers.
const { AttributeType, DataType, ModelProto } = require('../../dist/runtime/onnx/onnx-schema');

const FLOAT = DataType.FLOAT;
const INT64 = DataType.INT64;

function floatTensor(name, dims, values) {
  return { name, dims, dataType: FLOAT, floatData: Array.from(values) };
}

function int64Tensor(name, dims, values) {
  return { name, dims, dataType: INT64, int64Data: values };
}

function valueInfo(name, dims, elemType = FLOAT) {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

function node(opType, inputs, outputs, attrs = {}) {
  const attribute = Object.entries(attrs).map(([name, v]) => {
    if (Array.isArray(v)) return { name, ints: v, type: AttributeType.INTS };
    return { name, i: v, type: AttributeType.INT };
  });
  return { opType, input: inputs, output: outputs, attribute };
}

/** Serialises a graph to ONNX bytes. */
function buildModel({ inputs, outputs, nodes, initializers = [], metadata = {}, opset = 13 }) {
  return Buffer.from(ModelProto.encode({
    irVersion: 7,
    producerName: 'die-inspect-tests',
    opsetImport: [{ domain: '', version: opset }],
    graph: { name: 'test', node: nodes, input: inputs, output: outputs, initializer: initializers },
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  }));
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

/**
 * A two-class classifier whose logits are a linear layer (`weights` [2][3], `bias`) on the
 * global `pool` ('avg' or 'max') of its input's channels after a Relu (the "feature map",
 * at the input's own resolution): with `features`, that map is a second output named by
 * metadata cam_features, as class activation maps need.
 */
function pooledClassifier({ weights, bias = [0, 0], size = 32, pool = 'avg', features = true, metadata = {} }) {
  return buildModel({
    inputs: [valueInfo('images', ['batch', 3, size, size])],
    outputs: [valueInfo('logits', ['batch', 2]), ...(features ? [valueInfo('feats', ['batch', 3, size, size])] : [])],
    nodes: [
      node('Relu', ['images'], ['feats']),
      node(pool === 'avg' ? 'GlobalAveragePool' : 'GlobalMaxPool', ['feats'], ['pooled']),
      node('Flatten', ['pooled'], ['flat'], { axis: 1 }),
      node('Gemm', ['flat', 'fc_w', 'fc_b'], ['logits'], { transB: 1 }),
    ],
    initializers: [floatTensor('fc_w', [2, 3], weights.flat()), floatTensor('fc_b', [2], bias)],
    metadata: { names: "{0: 'good', 1: 'defective'}", ...(features ? { cam_features: 'feats' } : {}), ...metadata },
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

/**
 * Nodes that broadcast the constant `values` (shape [1, ...tail]) over the batch
 * dimension of `images`, naming the result `out`.
 */
function batchConstant(prefix, tail, values, out) {
  return {
    nodes: [
      node('Shape', ['images'], [`${prefix}_shape`]),
      node('Slice', [`${prefix}_shape`, `${prefix}_zero`, `${prefix}_one`], [`${prefix}_batch`]),
      node('Concat', [`${prefix}_batch`, `${prefix}_tail`], [`${prefix}_dims`], { axis: 0 }),
      node('Expand', [`${prefix}_const`, `${prefix}_dims`], [out]),
    ],
    initializers: [
      int64Tensor(`${prefix}_zero`, [1], [0]),
      int64Tensor(`${prefix}_one`, [1], [1]),
      int64Tensor(`${prefix}_tail`, [tail.length], tail),
      floatTensor(`${prefix}_const`, [1, ...tail], values),
    ],
  };
}

/**
 * A YOLO-seg model with constant outputs: `rows` ([N][5+C+M] in YOLOv5 order;
 * transposed to [4+C+M, N] for 'yolov8', which drops the objectness column)
 * as output0 and `protos` (M planes of mh x mw, flat, plane-major) as output1
 * [B, M, mh, mw].
 */
function constantSegmenter({ rows, protos, numMasks, protoHeight, protoWidth, layout = 'yolov5', batch = 'batch', height = 640, width = 640 }) {
  let det = rows;
  if (layout === 'yolov8') {
    const v8 = rows.map((r) => [...r.slice(0, 4), ...r.slice(5).map((v, j) => (j < r.length - 5 - numMasks ? v * r[4] : v))]);
    det = v8[0].map((_, j) => v8.map((r) => r[j]));
  }
  const a = batchConstant('det', [det.length, det[0].length], det.flat(), 'output0');
  const p = batchConstant('proto', [numMasks, protoHeight, protoWidth], protos, 'output1');
  return buildModel({
    inputs: [valueInfo('images', [batch, 3, height, width])],
    outputs: [valueInfo('output0', [batch, det.length, det[0].length]), valueInfo('output1', [batch, numMasks, protoHeight, protoWidth])],
    nodes: [...a.nodes, ...p.nodes],
    initializers: [...a.initializers, ...p.initializers],
  });
}

/**
 * A SAM-signature image encoder: [1, 3, size, size] -> 16x16 average pool ->
 * 1x1 conv to 256 channels -> image_embeddings [1, 256, size/16, size/16].
 */
function samEncoder({ size = 1024, inputName = 'images', rank3 = false } = {}) {
  const weights = Array.from({ length: 256 * 3 }, (_, i) => ((i % 7) - 3) / 10);
  if (rank3) {
    return buildModel({
      inputs: [valueInfo(inputName, [3, size, size])],
      outputs: [valueInfo('image_embeddings', [3, size, size])],
      nodes: [node('Identity', [inputName], ['image_embeddings'])],
    });
  }
  return buildModel({
    inputs: [valueInfo(inputName, [1, 3, size, size])],
    outputs: [valueInfo('image_embeddings', [1, 256, size / 16, size / 16])],
    nodes: [
      node('AveragePool', [inputName], ['pooled'], { kernel_shape: [16, 16], strides: [16, 16] }),
      node('Conv', ['pooled', 'w'], ['image_embeddings']),
    ],
    initializers: [floatTensor('w', [256, 3, 1, 1], weights)],
  });
}

/**
 * A SAM-signature prompt decoder with exactly known masks. Mask 1 (iou 0.9) is
 * the prompt box: pixel (i, j) is inside when its centre lies strictly between
 * the box corners (point_coords mapped back by 1024 / max(H, W)), and only when
 * the first two labels are 2 and 3 (else it is empty). Mask 0 (iou 0.4) covers
 * the whole image, so picking the wrong mask shows. iou_predictions[1] drops by
 * 0.1 per point beyond two, so tests can see a padding point. Logits are +-1.
 */
function samDecoder({ omit, size = 1024 } = {}) {
  const F = FLOAT;
  const nodes = [
    node('Gather', ['orig_im_size', 'i0'], ['H']),
    node('Gather', ['orig_im_size', 'i1'], ['W']),
    node('Max', ['H', 'W'], ['long']),
    node('Div', ['side', 'long'], ['s']),
    node('Div', ['point_coords', 's'], ['pts']),
    node('Reshape', ['pts', 'flat_shape'], ['flat']),
    node('Gather', ['flat', 'i0'], ['x1']),
    node('Gather', ['flat', 'i1'], ['y1']),
    node('Gather', ['flat', 'i2'], ['x2']),
    node('Gather', ['flat', 'i3'], ['y2']),
    node('Range', ['half', 'W', 'one'], ['xs']),
    node('Range', ['half', 'H', 'one'], ['ys']),
    node('Greater', ['xs', 'x1'], ['gx']),
    node('Less', ['xs', 'x2'], ['lx']),
    node('And', ['gx', 'lx'], ['inx']),
    node('Greater', ['ys', 'y1'], ['gy']),
    node('Less', ['ys', 'y2'], ['ly']),
    node('And', ['gy', 'ly'], ['iny']),
    node('Unsqueeze', ['iny', 'ax1'], ['iny2']),
    node('And', ['iny2', 'inx'], ['inside']),
    node('Cast', ['inside'], ['insidef'], { to: F }),
    // Label gate: 1 when point_labels[0, :2] == [2, 3].
    node('Slice', ['point_labels', 's0', 's2', 'ax1'], ['lab2']),
    node('Equal', ['lab2', 'want'], ['labeq']),
    node('Cast', ['labeq'], ['labf'], { to: F }),
    node('ReduceMin', ['labf'], ['gate'], { keepdims: 0 }),
    node('Mul', ['insidef', 'gate'], ['boxf']),
    // Every other input feeds the result with weight 0, so none is dead.
    node('ReduceMean', ['image_embeddings'], ['e'], { keepdims: 0 }),
    node('ReduceMean', ['mask_input'], ['m'], { keepdims: 0 }),
    node('ReduceMean', ['has_mask_input'], ['hm'], { keepdims: 0 }),
    node('Add', ['e', 'm'], ['em']),
    node('Add', ['em', 'hm'], ['emh']),
    node('Mul', ['emh', 'zero'], ['z']),
    node('Mul', ['boxf', 'two'], ['b2']),
    node('Sub', ['b2', 'one'], ['b1']),
    node('Add', ['b1', 'z'], ['mask1']),
    node('Mul', ['b1', 'zero'], ['zeros']),
    node('Add', ['zeros', 'one'], ['mask0']),
    node('Unsqueeze', ['mask0', 'ax01'], ['m0']),
    node('Unsqueeze', ['mask1', 'ax01'], ['m1']),
    node('Concat', ['m0', 'm1'], ['masks'], { axis: 1 }),
    node('Shape', ['point_labels'], ['lshape']),
    node('Gather', ['lshape', 'i1'], ['n']),
    node('Cast', ['n'], ['nf'], { to: F }),
    node('Sub', ['nf', 'two'], ['extra']),
    node('Mul', ['extra', 'iou_step'], ['drop']),
    node('Sub', ['iou_base', 'drop'], ['iou_predictions']),
    node('Expand', ['zero', 'low_shape'], ['low_res_masks']),
  ];
  const initializers = [
    int64Tensor('i0', [], [0]), int64Tensor('i1', [], [1]), int64Tensor('i2', [], [2]), int64Tensor('i3', [], [3]),
    int64Tensor('flat_shape', [1], [-1]), int64Tensor('ax1', [1], [1]), int64Tensor('ax01', [2], [0, 1]),
    int64Tensor('s0', [1], [0]), int64Tensor('s2', [1], [2]), int64Tensor('low_shape', [4], [1, 2, 256, 256]),
    floatTensor('side', [], [size]), floatTensor('half', [], [0.5]), floatTensor('one', [], [1]),
    floatTensor('two', [], [2]), floatTensor('zero', [], [0]), floatTensor('want', [1, 2], [2, 3]),
    floatTensor('iou_base', [1, 2], [0.4, 0.9]), floatTensor('iou_step', [1, 2], [0, 0.1]),
  ];
  const inputs = [
    valueInfo('image_embeddings', [1, 256, 64, 64]),
    valueInfo('point_coords', [1, 'n', 2]),
    valueInfo('point_labels', [1, 'n']),
    valueInfo('mask_input', [1, 1, 256, 256]),
    valueInfo('has_mask_input', [1]),
    valueInfo('orig_im_size', [2]),
  ];
  if (omit) {
    // A decoder missing an input: a constant takes its place in the graph.
    const shapes = { point_labels: [1, 2], has_mask_input: [1] };
    initializers.push(floatTensor(omit, shapes[omit], omit === 'point_labels' ? [2, 3] : [0]));
  }
  return buildModel({
    inputs: inputs.filter((v) => v.name !== omit),
    outputs: [
      valueInfo('masks', [1, 2, 'H', 'W']),
      valueInfo('iou_predictions', [1, 2]),
      valueInfo('low_res_masks', [1, 2, 256, 256]),
    ],
    nodes,
    initializers,
  });
}

/**
 * Nodes of a constant-colour image generator: `rgb` [B, 3] (the colour of each sample) plus
 * zGreen x sigmoid(z[:, 0]) on the green channel, broadcast to images [B, 3, height, width].
 */
function colourImages(prefix, rgb, zGreen, height, width, nan) {
  const p = (n) => `${prefix}_${n}`;
  const nodes = [
    node('Slice', ['z', p('s0'), p('s1'), p('ax1')], [p('z0')]),
    node('Sigmoid', [p('z0')], [p('sig')]),
    node('Mul', [p('sig'), p('green')], [p('dz')]),
    node('Add', [rgb, p('dz')], [p('col')]),
    node(nan ? 'Mul' : 'Identity', nan ? [p('col'), p('nan')] : [p('col')], [p('col2')]),
    node('Unsqueeze', [p('col2'), p('ax23')], [p('col4')]),
    node('Shape', ['z'], [p('zshape')]),
    node('Slice', [p('zshape'), p('s0'), p('s1')], [p('batch')]),
    node('Concat', [p('batch'), p('tail')], [p('dims')], { axis: 0 }),
    node('Expand', [p('col4'), p('dims')], ['images']),
  ];
  const initializers = [
    int64Tensor(p('s0'), [1], [0]), int64Tensor(p('s1'), [1], [1]), int64Tensor(p('ax1'), [1], [1]),
    int64Tensor(p('ax23'), [2], [2, 3]), int64Tensor(p('tail'), [3], [3, height, width]),
    floatTensor(p('green'), [1, 3], [0, zGreen, 0]), ...(nan ? [floatTensor(p('nan'), [1], [NaN])] : []),
  ];
  return { nodes, initializers };
}

/**
 * A `gan-dies` generator (the contract in lib/stages/generator.ts) whose patch is one flat
 * colour per class, `colors[name]` (RGB 0..1; default die_crack pure red, die_rotation pure
 * blue), plus zGreen x sigmoid(z[0]) on green. `batch`: the batch dim (a number fixes it);
 * `declared`: the output's declared [height, width] ('dynamic': symbolic); `omit`: leave
 * out the input 'class' (a constant takes its place); `nan`: every output value NaN;
 * `metadata`: entries to add or (undefined) remove.
 */
function tinyDieGenerator({ size = 16, latent = 8, names = ['die_crack', 'die_rotation'], context = 0.25, boxSizes,
  colors = {}, zGreen = 0.2, batch = 'batch', declared, omit, nan = false, outputSize, metadata = {} } = {}) {
  const palette = { die_crack: [1, 0, 0], die_rotation: [0, 0, 1], ...colors };
  const table = names.map((n) => palette[n] ?? [0.5, 0.5, 0.5]);
  const side = outputSize ?? size;
  const body = colourImages('g', 'rgb', zGreen, side, side, nan);
  const nodes = [node('Gather', ['table', 'class'], ['rgb'], { axis: 0 }), ...body.nodes];
  const initializers = [floatTensor('table', [names.length, 3], table.flat()), ...body.initializers];
  if (omit === 'class') initializers.push(int64Tensor('class', [1], [0]));
  const sizes = boxSizes ?? Object.fromEntries(names.map((n) => [n, n === 'die_rotation' ? [[0.4, 0.6]] : [[0.12, 0.16], [0.08, 0.12]]]));
  const meta = { task: 'gan-dies', names: JSON.stringify(names), latent: String(latent), imgsz: String(size), context: String(context),
    box_sizes: JSON.stringify(sizes), ...metadata };
  for (const [k, v] of Object.entries(meta)) if (v === undefined) delete meta[k];
  const out = declared === 'dynamic' ? ['h', 'w'] : [side, side];
  return buildModel({
    inputs: [valueInfo('z', [batch, latent]), ...(omit === 'class' ? [] : [valueInfo('class', [batch], INT64)])],
    outputs: [valueInfo('images', [batch, 3, ...out])],
    nodes,
    initializers,
    metadata: meta,
  });
}

/** A `gan-packages` generator: boards of one flat colour (default magenta) plus zGreen x sigmoid(z[0]) on green. */
function tinyPackageGenerator({ height = 24, width = 32, latent = 4, color = [1, 0, 1], zGreen = 0.2, batch = 'batch', nan = false,
  metadata = {} } = {}) {
  const body = colourImages('p', 'rgb', zGreen, height, width, nan);
  const meta = { task: 'gan-packages', latent: String(latent), imgsz: `[${height}, ${width}]`, tiles: '1', coherence: '0', arch: 'flat',
    ...metadata };
  for (const [k, v] of Object.entries(meta)) if (v === undefined) delete meta[k];
  return buildModel({
    inputs: [valueInfo('z', [batch, latent])],
    outputs: [valueInfo('images', [batch, 3, height, width])],
    nodes: [node('Identity', ['colour'], ['rgb']), ...body.nodes],
    initializers: [floatTensor('colour', [1, 3], color), ...body.initializers],
    metadata: meta,
  });
}

module.exports = {
  tinyDieGenerator, tinyPackageGenerator,
  pooledClassifier, constantClassifier, buildModel, batchConstant, constantSegmenter, samEncoder, samDecoder, constantDetector, meanClassifier, rank3Model, flatOutputModel, valueInfo, node, floatTensor, int64Tensor };
