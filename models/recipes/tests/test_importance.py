"""Importance scores (LAMP, network slimming), the sparsity step, the slimming scales of a
fused model."""
import unittest

import torch

from common import image, make, outputs
from prune import (ChannelScale, add_sparsity_grad, attach_scales, chunks, fold_scales, importance, lamp_scores, prune,
                   prunable, slim_gammas, trace, widths)


class Lamp(unittest.TestCase):
    def test_formula(self):
        # ascending by magnitude: 0.5, -1, 2, 3 -> squares 0.25, 1, 4, 9; tails 14.25, 14, 13, 9
        got = lamp_scores(torch.tensor([3.0, -1.0, 2.0, 0.5]))
        want = torch.tensor([9 / 9, 1 / 14, 4 / 13, 0.25 / 14.25])
        torch.testing.assert_close(got, want, atol=1e-7, rtol=1e-6)

    def test_channel_scores_of_a_group(self):
        m = make('baseline')
        conv, bn = m.stem[0].conv, m.stem[0].bn
        with torch.no_grad():  # channel k: weight norm (k + 1), BatchNorm scale 2 (folded in, the same for all)
            conv.weight.zero_()
            conv.weight[:, 0, 0, 0] = torch.arange(1, 33, dtype=torch.float32)
            bn.weight.fill_(2.0)
            bn.running_var.fill_(1 - bn.eps)
        got = importance(trace(m), 'lamp')['stem.0']
        norms = [2.0 * (k + 1) for k in range(32)]
        want = torch.tensor([n * n / sum(v * v for v in norms[k:]) for k, n in enumerate(norms)])
        torch.testing.assert_close(got, want, atol=1e-6, rtol=1e-5)
        self.assertEqual(float(got[-1]), 1.0)

    def test_fused_scores_alike(self):
        a = importance(trace(make('coordconv')), 'lamp')
        b = importance(trace(make('coordconv', fused=True)), 'lamp')
        self.assertEqual(a.keys(), b.keys())
        for k in a:
            torch.testing.assert_close(b[k], a[k], atol=1e-5, rtol=1e-4)


class Slimming(unittest.TestCase):
    def setUp(self):
        self.m = make('gsconv')
        with torch.no_grad():
            for p in slim_gammas(self.m):
                p.uniform_(1.0, 2.0)
            # 8 channels of one group get the smallest |gamma|, of both signs
            self.small = [3, 7, 11, 12, 20, 25, 30, 31]
            self.m.stage2.b.bn.weight[self.small] = torch.tensor([0.01, -0.02, 0.03, -0.04, 0.05, -0.06, 0.07, -0.08])

    def test_smallest_gammas_first(self):
        groups = trace(self.m)
        n = {g.key: g.n for g in prunable(groups)}
        cand = chunks(groups, importance(groups, 'slim'), dict.fromkeys(n, 1), dict.fromkeys(n, 1))
        self.assertEqual([(k, i[0]) for _, k, _, i in cand[:8]], [('stage2.b', c) for c in self.small])

    def test_prune_removes_them(self):
        pruned, info = prune(self.m, 'slim', 1.0001, steps=100, log=lambda s: None)
        self.assertEqual(info['steps'], 1)
        w = widths(pruned)
        self.assertEqual({k: v for k, v in w.items() if v != widths(self.m)[k]}, {'stage2.b': 24})
        self.assertGreaterEqual(float(pruned.stage2.b.bn.weight.abs().min()), 1.0)

    def test_sparsity_step(self):
        self.m.double()  # so that the step is seen to float64 precision
        gammas = slim_gammas(self.m)
        ids = {id(p) for p in gammas}
        self.assertIn(id(self.m.td4.a.bn.weight), ids)
        self.assertNotIn(id(self.m.td4.m[0].g1.a.bn.weight), ids)  # excluded from pruning: no penalty
        with torch.no_grad():
            for p in gammas:
                p.copy_(torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel()), dtype=p.dtype))
        start = [p.detach().clone() for p in gammas]
        lr, reg = 0.1, 5e-4
        opt = torch.optim.SGD(gammas, lr=lr)
        opt.zero_grad(set_to_none=True)
        add_sparsity_grad(gammas, reg)
        opt.step()
        for p, p0 in zip(gammas, start):
            torch.testing.assert_close(p0 - p.detach(), lr * reg * torch.sign(p0), atol=1e-15, rtol=1e-9)


class Scales(unittest.TestCase):
    def test_scale_is_exact_and_stays_eval(self):
        m = make('baseline', fused=True)
        x = image(batch=2)
        before = outputs(m, x)
        self.assertEqual(attach_scales(m), len(prunable(trace(m))))
        m.train()
        self.assertTrue(all(not s.training for s in m.modules() if isinstance(s, ChannelScale)))
        with torch.no_grad():
            for a, b in zip(before, m(x)):  # training mode: still no batch statistics
                torch.testing.assert_close(b, a, atol=0, rtol=0)
        self.assertTrue(all(not s.bias.requires_grad for s in m.modules() if isinstance(s, ChannelScale)))
        self.assertEqual(len(slim_gammas(m)), len(prunable(trace(m))))

    def test_fold_back(self):
        m = make('gsconv', fused=True)
        attach_scales(m)
        with torch.no_grad():
            for p in slim_gammas(m):
                p.uniform_(0.2, 1.5)
        x = image(batch=2)
        before = outputs(m, x)
        fold_scales(m)
        self.assertFalse(any(isinstance(s, ChannelScale) for s in m.modules()))
        for a, b in zip(before, outputs(m, x)):
            torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)


if __name__ == '__main__':
    unittest.main()
