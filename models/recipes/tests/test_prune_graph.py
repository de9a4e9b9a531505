"""Channel groups and their removal, for every block type (plain, CoordConv and slim neck;
BatchNorm kept or folded)."""
import unittest

import torch

from common import VARIANTS, image, make, outputs
from prune import prunable, remove_channels, trace, widths
from yolov7tiny import count_gflops


def random_drop(groups, seed, most=0.6):
    """Some channels of every prunable group (never all of them)."""
    g = torch.Generator().manual_seed(seed)
    drop = {}
    for grp in prunable(groups):
        k = int(torch.randint(1, max(2, int(grp.n * most)), (1,), generator=g))
        drop[grp.key] = torch.randperm(grp.n, generator=g)[:k].tolist()
    return drop


@torch.no_grad()
def silence(group, idx):
    """Make channels idx of a group exactly 0 after activation: producing weight rows and
    bias 0, BatchNorm mean and beta 0 (LeakyReLU(0) = 0); the depthwise convs tied to them
    then read zeros, so their bias and BatchNorm mean and beta go to 0 too."""
    for m, o in [(group.producer, 0)] + group.tied:
        rows = [o + i for i in idx]
        if m is group.producer:
            m.conv.weight[rows] = 0
        if m.conv.bias is not None:
            m.conv.bias[rows] = 0
        if m.bn is not None:
            m.bn.running_mean[rows] = 0
            m.bn.bias[rows] = 0


class Groups(unittest.TestCase):
    def test_excluded_and_tied(self):
        m = make('gsconv')
        groups = trace(m)
        keys = {g.key for g in prunable(groups)}
        self.assertIn('td4.a', keys)
        self.assertIn('td4.out', keys)
        self.assertIn('lat5.a', keys)
        self.assertIn('lat5.mix', keys)
        # the GSConvs inside VoV-GSCSP and the sum they feed stay, as in the source study
        for k in ('td4.m.0.g1.a', 'td4.m.0.g2.a', 'td4.m.0.short'):
            self.assertFalse(groups[k].prunable, k)
        self.assertNotIn('pred.0', groups)
        self.assertEqual(groups['lat5.a'].tied, [(m.lat5.dw, 0)])
        # lat5.mix reads lat5.a twice: straight and through the depthwise conv
        self.assertEqual(sorted(o for c, o in groups['lat5.a'].consumers), [0, 64])

    def test_concat_offsets(self):
        m = make('baseline')
        groups = trace(m)
        # ELAN-tiny concatenates [d, c, b, a]
        offs = {k: [o for c, o in groups[f'stage2.{k}'].consumers if c is m.stage2.out.conv] for k in 'dcba'}
        self.assertEqual(offs, {'d': [0], 'c': [32], 'b': [64], 'a': [96]})
        # SPPCSPC-tiny: the max pools pass spp.main through, 4 copies into spp.reduce
        self.assertEqual([o for c, o in groups['spp.main'].consumers], [0, 256, 512, 768])

    def test_coordconv_columns_stay(self):
        m = make('coordconv')
        remove_channels(m, random_drop(trace(m), 1))
        for c in (m.down3, m.down4, m.head3, m.head4, m.head5):
            self.assertEqual(c.conv.in_channels, c.conv.weight.shape[1])
        groups = trace(m)  # the trace checks every conv's input width, the 2 coordinates included
        self.assertEqual(m.head3.conv.in_channels, groups['td3.out'].n + 2)

    def test_pruned_runs_every_variant_and_form(self):
        for variant in VARIANTS:
            for fused in (False, True):
                with self.subTest(variant=variant, fused=fused):
                    m = make(variant, fused)
                    groups = trace(m)
                    drop = random_drop(groups, 2)
                    want = {k: groups[k].n - len(v) for k, v in drop.items()}
                    before = count_gflops(m, 64, 64)
                    remove_channels(m, drop)
                    self.assertEqual(widths(m), want)
                    out = outputs(m, image(h=64, w=96, batch=2))
                    self.assertEqual([tuple(o.shape) for o in out], [(2, 3, 8, 12, 7), (2, 3, 4, 6, 7), (2, 3, 2, 3, 7)])
                    self.assertLess(count_gflops(m, 64, 64), before)
                    for mod in m.modules():
                        if isinstance(mod, torch.nn.BatchNorm2d):
                            self.assertEqual(mod.weight.shape[0], mod.num_features)

    def test_zero_channels_removed_exactly(self):
        x = image(3, batch=2)
        for variant in VARIANTS:
            for fused in (False, True):
                with self.subTest(variant=variant, fused=fused):
                    m = make(variant, fused, seed=4)
                    groups = trace(m)
                    drop = random_drop(groups, 5, most=0.4)
                    for k, idx in drop.items():
                        silence(groups[k], idx)
                    before = outputs(m, x)
                    remove_channels(m, drop)
                    for a, b in zip(before, outputs(m, x)):
                        torch.testing.assert_close(b, a, atol=1e-5, rtol=1e-5)

    def test_refuses_what_must_stay(self):
        m = make('gsconv')
        groups = trace(m)
        with self.assertRaises(ValueError):
            remove_channels(m, {'td4.m.0.short': [0]}, groups)
        with self.assertRaises(ValueError):
            remove_channels(m, {'stem.0': list(range(32))}, groups)


if __name__ == '__main__':
    unittest.main()
