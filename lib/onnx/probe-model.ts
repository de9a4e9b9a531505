/** A one-node ONNX model (Relu on [1, 4]) used to probe execution providers. */
import { onnx } from 'onnx-proto';

export function tinyProbeModel(): Uint8Array {
  const vi = (name: string) => onnx.ValueInfoProto.create({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'die-inspect',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] },
  });
  return onnx.ModelProto.encode(model).finish();
}
