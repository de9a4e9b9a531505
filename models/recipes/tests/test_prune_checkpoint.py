"""A pruned model travels: checkpoint -> the model train_detector.py builds from --init, and
ONNX export -> read back (the initializers give the widths) -> the same model."""
import argparse
import contextlib
import io
import os
import tempfile
import unittest
import warnings

import onnx
import torch

from common import image, make, outputs  # first: it puts the recipes on sys.path
from checkpoints import load_checkpoint, save_atomic
from detectors import model_from_checkpoint, read_onnx_checkpoint
from export_detector import export, verify
from prune import prune, widths
from prune_detector import pruned_checkpoint
from train_detector import make_model

ANCHORS = [[10, 13], [16, 30], [33, 23], [30, 61], [62, 45], [59, 119], [116, 90], [156, 198], [373, 326]]


def source_checkpoint(model, variant, fused):
    return {'nc': 2, 'names': ['die_crack', 'die_rotation'], 'coordconv': variant == 'coordconv',
            'gsconv': variant == 'gsconv', 'imgsz': 64, 'anchors': ANCHORS, 'arch': 'yolov7-tiny', 'masks': 0,
            'fused': fused, 'model': model.state_dict(), 'epoch': 3, 'recipe': 'train'}


def init_args(path, variant, sparsity=0.0):
    return argparse.Namespace(init=path, arch='yolov7-tiny', coordconv=variant == 'coordconv',
                              gsconv=variant == 'gsconv', masks=0, imgsz=64, sparsity=sparsity)


def quiet(_):
    pass


def build_for_init(path, variant, sparsity=0.0):
    """train_detector.py's own model set-up for --init PATH (its report lines kept quiet)."""
    with contextlib.redirect_stdout(io.StringIO()):
        return make_model(init_args(path, variant, sparsity), None, None, 2, torch.device('cpu'))


class RoundTrip(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.x = image(7, batch=2)

    def tearDown(self):
        self.tmp.cleanup()

    def pruned(self, variant, fused):
        m = make(variant, fused)
        with torch.no_grad():  # a real anchors buffer, as a trained checkpoint has
            m.anchors.copy_(torch.tensor(ANCHORS, dtype=torch.float32).view(3, 3, 2))
        p, info = prune(m, 'lamp', 1.3, steps=10, log=quiet)
        ck = pruned_checkpoint(source_checkpoint(m, variant, fused), p, info, 'prune')
        path = os.path.join(self.tmp.name, 'pruned.pt')
        save_atomic(ck, path)
        return p.eval(), path

    def test_checkpoint_to_init(self):
        for variant, fused in (('coordconv', False), ('gsconv', True)):
            with self.subTest(variant=variant, fused=fused):
                p, path = self.pruned(variant, fused)
                self.assertEqual(load_checkpoint(path)['widths'], widths(p))
                model, _, form = build_for_init(path, variant)
                self.assertEqual(form['fused'], fused)
                self.assertEqual(widths(model), widths(p))
                for a, b in zip(outputs(p, self.x), outputs(model, self.x)):
                    torch.testing.assert_close(b, a, atol=0, rtol=0)

    def test_init_refuses_other_options(self):
        _, path = self.pruned('coordconv', False)
        with self.assertRaises(SystemExit):
            build_for_init(path, 'baseline')

    def test_sparsity_on_fused_init_attaches_scales(self):
        p, path = self.pruned('baseline', True)
        model, _, form = build_for_init(path, 'baseline', 5e-4)
        self.assertTrue(form['scales'])
        for a, b in zip(outputs(p, self.x), outputs(model, self.x)):
            torch.testing.assert_close(b, a, atol=0, rtol=0)

    def test_onnx_export_and_back(self):
        p, path = self.pruned('gsconv', False)
        ck = load_checkpoint(path)
        onnx_path = os.path.join(self.tmp.name, 'pruned.onnx')
        with contextlib.redirect_stdout(io.StringIO()) as log, warnings.catch_warnings():
            warnings.simplefilter('ignore')  # the exporter's notes on constants
            net, names, s = export(model_from_checkpoint(ck).eval(), ck, onnx_path)
            verify(net, onnx_path, names, s)  # against onnxruntime-node where it is found
        self.assertIn('onnx.checker ok', log.getvalue())
        self.assertNotIn('MISMATCH', log.getvalue())
        back = read_onnx_checkpoint(onnx_path)
        self.assertEqual((back['gsconv'], back['coordconv'], back['fused']), (True, False, True))
        self.assertEqual(back['widths'], widths(p))
        # without the widths metadata the initializers' shapes give them
        bare = onnx.load(onnx_path)
        kept = [m for m in bare.metadata_props if m.key != 'widths']
        del bare.metadata_props[:]
        bare.metadata_props.extend(kept)
        bare_path = os.path.join(self.tmp.name, 'bare.onnx')
        onnx.save(bare, bare_path)
        self.assertEqual(read_onnx_checkpoint(bare_path)['widths'], widths(p))
        rebuilt = model_from_checkpoint(back).eval()
        for a, b in zip(outputs(p, self.x), outputs(rebuilt, self.x)):
            torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)
        model, _, _ = build_for_init(onnx_path, 'gsconv')
        for a, b in zip(outputs(rebuilt, self.x), outputs(model, self.x)):
            torch.testing.assert_close(b, a, atol=0, rtol=0)


if __name__ == '__main__':
    unittest.main()
