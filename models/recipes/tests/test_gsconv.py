"""The slim neck (gsconv=True): shapes, BatchNorm folding, size, the shuffle."""
import unittest

import torch

from common import image, make, outputs
from yolov7tiny import Conv, GSConv, GSConvs, VoVGSCSP, YOLOv7Tiny, count_gflops, count_params


class GSConvNeck(unittest.TestCase):
    def test_forward_shapes(self):
        out = outputs(make('gsconv'), image(h=64, w=96, batch=2))
        self.assertEqual([tuple(o.shape) for o in out], [(2, 3, 8, 12, 7), (2, 3, 4, 6, 7), (2, 3, 2, 3, 7)])

    def test_neck_blocks(self):
        m = YOLOv7Tiny(2, gsconv=True)
        for name in ('td4', 'td3', 'bu4', 'bu5'):
            self.assertIsInstance(getattr(m, name), VoVGSCSP)
        for name in ('lat5', 'lat4_in', 'lat4', 'lat3_in', 'down3', 'down4'):
            self.assertIsInstance(getattr(m, name), GSConvs)
        self.assertEqual(m.down3.a.conv.stride, (2, 2))
        for name in ('head3', 'head4', 'head5'):
            self.assertIs(type(getattr(m, name)), Conv)
        slopes = {x.negative_slope for x in m.modules() if isinstance(x, torch.nn.LeakyReLU)}
        self.assertEqual(slopes, {0.1})

    def test_fuse_keeps_outputs(self):
        m = make('gsconv')
        x = image(batch=2)
        before = outputs(m, x)
        m.fuse()
        self.assertTrue(all(x.bn is None for x in m.modules() if isinstance(x, Conv)))
        # every conv folded, the depthwise ones too
        self.assertTrue(any(x.conv.groups > 1 and x.conv.bias is not None for x in m.modules() if isinstance(x, Conv)))
        for a, b in zip(before, outputs(m, x)):
            torch.testing.assert_close(b, a, atol=1e-4, rtol=1e-4)

    def test_smaller_than_baseline(self):
        base, slim = YOLOv7Tiny(2), YOLOv7Tiny(2, gsconv=True)
        self.assertLess(count_params(slim), count_params(base))
        self.assertLess(count_gflops(slim, 64, 64), count_gflops(base, 64, 64))

    def test_shuffle_is_even_then_odd(self):
        torch.manual_seed(0)
        g = GSConv(4, 8, 1).eval()
        x = torch.rand(1, 4, 5, 5)
        with torch.no_grad():
            a = g.a(x)
            halves = torch.cat([a, g.dw(a)], 1)
            want = halves[:, [0, 2, 4, 6, 1, 3, 5, 7]]
            torch.testing.assert_close(g(x), want, atol=0, rtol=0)


if __name__ == '__main__':
    unittest.main()
