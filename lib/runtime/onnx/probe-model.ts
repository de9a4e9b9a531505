/** A one-node ONNX model (Relu on [1, 4]) used to probe execution providers. */
import { DataType, ModelProto, ValueInfoProto } from './onnx-schema';

export function tinyProbeModel(): Uint8Array {
  const vi = (name: string): ValueInfoProto => ({
    name,
    type: { tensorType: { elemType: DataType.FLOAT, shape: { dim: [{ dimValue: 1 }, { dimValue: 4 }] } } },
  });
  return ModelProto.encode({
    irVersion: 7,
    producerName: 'die-inspect',
    opsetImport: [{ domain: '', version: 13 }],
    graph: { name: 'probe', node: [{ opType: 'Relu', input: ['x'], output: ['y'] }], input: [vi('x')], output: [vi('y')] },
  });
}
