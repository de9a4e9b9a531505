"""Pruning to a GFLOPs speed-up: reached, not overshot by much, widths as asked."""
import unittest

from common import make
from prune import prune, prunable, trace, widths
from yolov7tiny import count_gflops


def quiet(_):
    pass


class Target(unittest.TestCase):
    def check(self, variant, method, fused=False, speedup=1.5, **kw):
        m = make(variant, fused)
        n0 = {g.key: g.n for g in prunable(trace(m))}
        base = count_gflops(m, 128, 128)
        pruned, info = prune(m, method, speedup, log=quiet, **kw)
        g = count_gflops(pruned, 128, 128)
        self.assertLessEqual(g, base / speedup)
        self.assertGreater(g, base / speedup * 0.9)
        self.assertEqual(count_gflops(m, 128, 128), base)  # the source is left as it was
        return n0, widths(pruned), info

    def test_lamp_baseline(self):
        n0, w, info = self.check('baseline', 'lamp', steps=40)
        self.assertGreater(info['steps'], 1)
        for k, n in w.items():
            self.assertTrue(n % 8 == 0 and n >= 8, (k, n))
        self.assertLess(sum(w.values()), sum(n0.values()))

    def test_lamp_fused_gsconv_round_1(self):
        n0, w, _ = self.check('gsconv', 'lamp', fused=True, steps=40, round_to=1)
        self.assertTrue(all(n >= 1 for n in w.values()))

    def test_slim_coordconv_max_frac(self):
        n0, w, _ = self.check('coordconv', 'slim', speedup=1.3, steps=40, max_frac=0.25)
        for k, n in w.items():
            self.assertGreaterEqual(n, n0[k] * 0.75, k)


if __name__ == '__main__':
    unittest.main()
