"""The classifier architectures and the training refinements' pieces: shapes and sizes,
the stages of progressive resizing, the LR schedules' end points, the balanced sampler."""
import types
import unittest

import numpy as np
import torch

import common  # noqa: F401  (sys.path and threads)
from classifiers import ARCHS, DenseNetS, EfficientNetS, MBConv, build_classifier
from cls_data import balanced_sampler
from optim import cosine_factor, linear_factor
from train_classifier import progressive_sizes


class Architectures(unittest.TestCase):
    def test_every_arch_gives_two_logits_per_image_and_fits_in_10_mb(self):
        for name in ARCHS:
            m = build_classifier(name).eval()
            with torch.no_grad():
                out = m(torch.rand(3, 3, 96, 128))
            self.assertEqual(tuple(out.shape), (3, 2), name)
            self.assertLess(sum(p.numel() for p in m.parameters()) * 4, 10e6, name)

    def test_densenet_channels_grow_by_the_growth_rate_and_halve_at_transitions(self):
        m = DenseNetS(growth=8, blocks=(2, 3))
        # stem 16, +2*8 = 32, halved to 16, +3*8 = 40 into the head
        self.assertEqual(m.fc.in_features, 40)

    def test_effnet_blocks_have_squeeze_excitation_and_fused_early_stages(self):
        m = EfficientNetS()
        blocks = [b for b in m.modules() if isinstance(b, MBConv)]
        depthwise = [b for b in blocks if any(c.groups > 1 for c in b.modules() if isinstance(c, torch.nn.Conv2d))]
        self.assertTrue(0 < len(depthwise) < len(blocks))
        self.assertTrue(all(type(b.block[-3]).__name__ == 'SqueezeExcite' for b in blocks))
        # residual blocks start as the identity; the others do not start silent
        first_res = next(b for b in blocks if b.residual)
        self.assertTrue(all(float(b.block[-1].weight.abs().sum()) > 0 for b in blocks if not b.residual))
        first_res.eval()
        c = first_res.block[0].in_channels
        x = torch.rand(2, c, 16, 16)
        with torch.no_grad():
            self.assertTrue(torch.equal(first_res(x), x))


class Refinements(unittest.TestCase):
    def test_progressive_sizes_split_the_epochs_in_equal_stages(self):
        a = types.SimpleNamespace(progressive='128,176', imgsz=224, epochs=30)
        sizes = progressive_sizes(a)
        self.assertEqual(sizes, [128] * 10 + [176] * 10 + [224] * 10)
        self.assertEqual(progressive_sizes(types.SimpleNamespace(progressive='', imgsz=224, epochs=3)), [224] * 3)
        with self.assertRaises(SystemExit):
            progressive_sizes(types.SimpleNamespace(progressive='256', imgsz=224, epochs=3))

    def test_schedules_run_from_one_to_the_final_factor(self):
        for f in (cosine_factor, linear_factor):
            self.assertAlmostEqual(f(0, 30, 0.01), 1.0)
            self.assertAlmostEqual(f(30, 30, 0.01), 0.01)
        self.assertAlmostEqual(linear_factor(15, 30, 0.0), 0.5)
        self.assertAlmostEqual(cosine_factor(15, 30, 0.0), 0.5)
        self.assertAlmostEqual(linear_factor(7.5, 30, 0.0), 0.75)
        self.assertAlmostEqual(cosine_factor(7.5, 30, 0.0), 0.5 * (1 + np.cos(np.pi / 4)))

    def test_balanced_sampler_draws_both_classes_equally_and_follows_its_seed(self):
        targets = np.array([0] * 100 + [1] * 900)
        draws = list(balanced_sampler(targets, 5))
        self.assertEqual(len(draws), 1000)
        share = float(np.mean(targets[draws] == 0))
        self.assertAlmostEqual(share, 0.5, delta=0.05)  # 4.5 sd of a fair binomial at n=1000 is 0.071
        self.assertEqual(draws, list(balanced_sampler(targets, 5)))
        self.assertNotEqual(draws, list(balanced_sampler(targets, 6)))


if __name__ == '__main__':
    unittest.main()
