"""ONNX export helpers: metadata, checker + shape inference, and an optional numerical
check against PyTorch with onnxruntime-node (through tools/ort_run.js) when Node and the
package can be found (NODE_PATH, or a node_modules folder in the repository root or
above). Python onnxruntime is not used: it is not a Debian package."""
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import onnx

HERE = os.path.dirname(os.path.abspath(__file__))


def finalize(path, metadata, output_dims=None):
    """Add metadata props, pin known output dims ({output: {axis: size}}; the exporter
    leaves some symbolic), run the checker (full check with shape inference), save."""
    model = onnx.load(path)
    for o in model.graph.output:
        for axis, size in (output_dims or {}).get(o.name, {}).items():
            d = o.type.tensor_type.shape.dim[axis]
            d.Clear()
            d.dim_value = int(size)
    del model.metadata_props[:]
    for k, v in metadata.items():
        p = model.metadata_props.add()
        p.key, p.value = k, str(v)
    onnx.checker.check_model(model, full_check=True)
    inferred = onnx.shape_inference.infer_shapes(model, strict_mode=True)
    onnx.save(model, path)

    def dims(vi):
        return [d.dim_param or d.dim_value for d in vi.type.tensor_type.shape.dim]

    ins = {i.name: dims(i) for i in inferred.graph.input}
    outs = {o.name: dims(o) for o in inferred.graph.output}
    print(f'onnx.checker ok; shape inference ok; inputs {ins}; outputs {outs}; opset '
          f'{[o.version for o in model.opset_import if o.domain in ("", "ai.onnx")][0]}')
    return ins, outs


def find_ort_node_modules():
    cands = [p for p in os.environ.get('NODE_PATH', '').split(os.pathsep) if p]
    d = HERE
    for _ in range(6):
        cands.append(os.path.join(d, 'node_modules'))
        d = os.path.dirname(d)
    for c in cands:
        if os.path.isdir(os.path.join(c, 'onnxruntime-node')):
            return c
    return None


def run_with_ort(path, x, outputs=None, extra=None):
    """Run the ONNX file on x (numpy float32 NCHW) with onnxruntime-node; returns the first
    output (or, given output names, those outputs in that order), or None when
    Node/onnxruntime-node are not available. extra: {input name: int64 or float32 array}
    for a model with more inputs than the first."""
    node = shutil.which('node')
    nm = find_ort_node_modules()
    if not node or not nm:
        print('onnxruntime-node not found (set NODE_PATH to a node_modules that has it): skipping the numeric check')
        return None if outputs is None else [None] * len(outputs)
    with tempfile.TemporaryDirectory() as td:
        xin, yout = os.path.join(td, 'x.f32'), os.path.join(td, 'y.f32')
        np.ascontiguousarray(x, np.float32).tofile(xin)
        env = dict(os.environ, NODE_PATH=nm)
        specs = []
        for k, (name, a) in enumerate((extra or {}).items()):
            a = np.ascontiguousarray(a)
            kind = 'int64' if a.dtype == np.int64 else 'float32'
            f = os.path.join(td, f'extra{k}.bin')
            a.astype(np.int64 if kind == 'int64' else np.float32).tofile(f)
            specs.append(f'{name}:{kind}:{",".join(str(d) for d in a.shape)}:{f}')
        r = subprocess.run([node, os.path.join(HERE, 'tools', 'ort_run.js'), path, xin,
                            ','.join(str(d) for d in x.shape), yout, *specs], env=env, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f'onnxruntime-node failed: {r.stderr.strip()}')
        info = json.loads(r.stdout.strip().splitlines()[-1])
        arrays = {name: np.fromfile(yout + (f'.{k}' if k else ''), np.float32).reshape(info['allDims'][k])
                  for k, name in enumerate(info['outputs'])}
        return arrays[info['outputs'][0]] if outputs is None else [arrays[n] for n in outputs]


def compare(name, ref, got, atol, rtol=1e-3):
    if got is None:
        return True
    if ref.shape != got.shape:
        raise SystemExit(f'{name}: shape mismatch torch {ref.shape} vs onnxruntime {got.shape}')
    err = np.abs(ref - got)
    ok = bool(np.all(err <= atol + rtol * np.abs(ref)))
    print(f'{name}: torch vs onnxruntime-node {tuple(ref.shape)}: max abs diff {err.max():.3g} '
          f'({"ok" if ok else "MISMATCH"})')
    if not ok:
        raise SystemExit(f'{name}: outputs differ beyond tolerance')
    return ok


def read_detector_onnx(path):
    """Weights and anchors of one of our exported detectors, as a checkpoint-like dict for
    train_detector.py --init. The exporter folds BatchNorm into the convolutions, so the
    weights fit the fused model ('fused': True); the initializers keep the module names.
    Anchors come from the metadata (rounded to 0.01 px at export), so do the class names,
    the size and, for a pruned model, its layer widths (`widths`, JSON)."""
    import ast
    from onnx import numpy_helper
    m = onnx.load(path)
    meta = {p.key: p.value for p in m.metadata_props}
    if meta.get('task') != 'detect' or 'anchors' not in meta:
        raise SystemExit(f'{path}: not a detector exported by export_detector.py (task/anchors metadata)')
    sd = {t.name[len('model.'):]: numpy_helper.to_array(t).copy()
          for t in m.graph.initializer if t.name.startswith('model.')}
    names = ast.literal_eval(meta['names'])
    imgsz = ast.literal_eval(meta['imgsz'])[0] if 'imgsz' in meta else None
    return {'model': sd, 'anchors': ast.literal_eval(meta['anchors']), 'epoch': os.path.basename(path),
            'fused': True, 'arch': meta.get('arch', ''), 'nc': len(names), 'names': [names[k] for k in sorted(names)],
            'imgsz': imgsz, 'recipe': meta.get('recipe', ''),
            'widths': json.loads(meta['widths']) if 'widths' in meta else None}
