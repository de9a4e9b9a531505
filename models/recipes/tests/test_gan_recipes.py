"""The GAN recipes: label crops land where the labels say, modulation equals the weight
form, tiles merge and split back, the seam loss sees a step at a border, the augmentation
probability follows the discriminator, and both trainers checkpoint, resume where they
stopped and export a generator that onnxruntime-node runs like PyTorch."""
import contextlib
import io
import os
import shutil
import tempfile
import unittest

import cv2
import numpy as np
import onnx
import torch
import torch.nn.functional as F

import common  # noqa: F401  (sys.path and threads)
import export_gan
import train_gan_dies
import train_gan_packages
from augment import AdaptiveAugment
from checkpoints import load_checkpoint
from gan_data import cut, defect_crops
from regionwise import TileGenerator, merge, seam_loss, split
from stylegan import ModConv


def write_dataset(root, n=6, size=(120, 96)):
    """A YOLO folder: grey images, each with one white box (class 0) and one black box (class 1)."""
    os.makedirs(os.path.join(root, 'images'))
    os.makedirs(os.path.join(root, 'labels'))
    with open(os.path.join(root, 'data.yaml'), 'w') as f:
        f.write('names: [die_crack, die_rotation]\n')
    w, h = size
    for i in range(n):
        im = np.full((h, w, 3), 128, np.uint8)
        im[20:40, 10:50] = 255       # x 10..50, y 20..40
        im[50:90, 70:100] = 0        # x 70..100, y 50..90
        cv2.imwrite(os.path.join(root, 'images', f'{i:03d}.png'), im)
        with open(os.path.join(root, 'labels', f'{i:03d}.txt'), 'w') as f:
            f.write(f'0 {30 / w} {30 / h} {40 / w} {20 / h}\n1 {85 / w} {70 / h} {30 / w} {40 / h}\n')


def quiet(fn, *args):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return fn(*args)


class Data(unittest.TestCase):
    def test_label_box_fills_the_central_part_of_each_crop(self):
        with tempfile.TemporaryDirectory() as d:
            write_dataset(d)
            x, labels, names, sizes = defect_crops(d, size=32, context=0.25)
        self.assertEqual(names, ['die_crack', 'die_rotation'])
        self.assertEqual(labels.tolist(), [0, 1] * 6)
        np.testing.assert_allclose(sizes['die_crack'][0], [40 / 120, 20 / 96], rtol=1e-6)
        # context 0.25: the box is the central [1/6, 5/6] of each axis
        white, black = x[0].float(), x[1].float()
        self.assertTrue(torch.all(white[:, 7:25, 7:25] == 255))
        self.assertTrue(torch.all(white[:, :, :4] == 128) and torch.all(white[:, :4] == 128))
        self.assertTrue(torch.all(black[:, 7:25, 7:25] == 0))
        self.assertTrue(torch.all(black[:, 28:, 28:] == 128))

    def test_cut_replicates_the_border_off_the_image(self):
        im = np.zeros((10, 10, 3), np.uint8)
        im[:, :5] = 200
        c = cut(im, (1, 5, 2, 2), 8, 1.0)   # a 6x6 window reaching 2 px left of the image
        self.assertTrue(np.all(c[:, 0] == 200))


class Networks(unittest.TestCase):
    def test_modulated_conv_equals_modulating_the_weights(self):
        torch.manual_seed(0)
        m = ModConv(5, 7, 3, w_dim=6)
        x, w = torch.randn(2, 5, 8, 8), torch.randn(2, 6)
        got = m(x, w)
        s = m.affine(w)
        for i in range(2):
            wt = m.weight * m.scale * s[i][None, :, None, None]
            wt = wt * torch.rsqrt(wt.pow(2).sum((1, 2, 3), keepdim=True) + 1e-8)
            ref = F.conv2d(x[i:i + 1], wt, padding=1)
            self.assertTrue(torch.allclose(got[i:i + 1], ref, atol=1e-5))

    def test_tiles_merge_row_major_and_split_back(self):
        tiles = torch.arange(2 * 4 * 3 * 2 * 2, dtype=torch.float32).view(8, 3, 2, 2)
        img = merge(tiles, 2)
        self.assertEqual(tuple(img.shape), (2, 3, 4, 4))
        self.assertTrue(torch.equal(img[0, :, :2, 2:], tiles[1]))   # tile 1 = row 0, column 1
        self.assertTrue(torch.equal(img[1, :, 2:, :2], tiles[6]))   # second image, row 1, column 0
        self.assertTrue(torch.equal(split(img, 2), tiles))

    def test_seam_loss_measures_only_the_tile_borders(self):
        img = torch.zeros(1, 1, 8, 8)
        img[..., 4:] = 1.0                 # a step at the vertical border of 2 x 2 tiles
        self.assertAlmostEqual(float(seam_loss(img, 2)), 0.5)    # rows: 0, columns: 1
        img2 = torch.zeros(1, 1, 8, 8)
        img2[..., 3:] = 1.0                # the same step inside a tile
        self.assertEqual(float(seam_loss(img2, 2)), 0.0)

    def test_tile_generator_tiles_differ_by_position(self):
        torch.manual_seed(0)
        g = TileGenerator(z_dim=8, tiles=2, tile=16, base=4, cmax=16)
        img = g(torch.randn(1, 8))
        self.assertEqual(tuple(img.shape), (1, 3, 32, 32))
        t = split(img, 2)
        self.assertGreater(float((t[0] - t[3]).abs().mean()), 1e-4)


class Augment(unittest.TestCase):
    def test_p_rises_while_the_discriminator_is_sure_of_reals_and_falls_when_not(self):
        a = AdaptiveAugment(target=0.6, speed_kimg=0.1, interval=1)
        for _ in range(5):
            a.observe(torch.ones(10))
        self.assertAlmostEqual(a.p, 0.5)
        for _ in range(10):
            a.observe(-torch.ones(10))
        self.assertEqual(a.p, 0.0)
        x = torch.rand(4, 3, 16, 16)
        self.assertTrue(torch.equal(a(x), x))       # p 0: untouched


class Training(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def check_resume(self, main, argv, out):
        quiet(main, argv + ['--epochs', '1'])
        first = load_checkpoint(os.path.join(out, 'last.pt'))
        self.assertEqual(first['epoch'], 1)
        quiet(main, argv + ['--epochs', '2'])
        second = load_checkpoint(os.path.join(out, 'last.pt'))
        self.assertEqual(second['epoch'], 2)
        self.assertGreater(float(second['model']['images_seen']), float(first['model']['images_seen']))
        with open(os.path.join(out, 'log.csv')) as f:
            self.assertEqual(len(f.read().strip().splitlines()), 3)   # header + two epochs
        self.assertTrue(os.path.exists(os.path.join(out, 'samples.png')))

    def export(self, out):
        onnx_path = os.path.join(self.dir, 'g.onnx')
        import sys
        argv = sys.argv
        sys.argv = ['export_gan.py', '--weights', os.path.join(out, 'best.pt'), '--out', onnx_path]
        try:
            quiet(export_gan.main)
        finally:
            sys.argv = argv
        return {p.key: p.value for p in onnx.load(onnx_path).metadata_props}

    def test_die_gan_trains_resumes_and_exports(self):
        data = os.path.join(self.dir, 'data')
        write_dataset(data)
        out = os.path.join(self.dir, 'run')
        argv = ['--data', data, '--out', out, '--size', '16', '--base', '4', '--cmax', '16', '--z-dim', '8',
                '--batch', '4', '--r1-every', '2']
        self.check_resume(train_gan_dies.main, argv, out)
        meta = self.export(out)
        self.assertEqual(meta['task'], 'gan-dies')
        self.assertEqual(meta['names'], '["die_crack", "die_rotation"]')
        self.assertEqual((meta['latent'], meta['imgsz'], meta['context']), ('8', '16', '0.25'))
        self.assertIn('"die_rotation":[[0.25,0.41667]', meta['box_sizes'])

    def test_region_wise_and_dcgan_train_resume_and_export(self):
        data = os.path.join(self.dir, 'boards')
        os.makedirs(data)
        for i in range(4):
            cv2.imwrite(os.path.join(data, f'{i}.png'), np.random.default_rng(i).integers(0, 255, (40, 40, 3), np.uint8))
        for extra in (['--coherence', 'both'], ['--arch', 'dcgan']):
            out = os.path.join(self.dir, extra[-1])
            argv = ['--data', data, '--out', out, '--size', '32', '--tiles', '2', '--base', '4', '--cmax', '16',
                    '--z-dim', '8', '--batch', '2'] + extra
            self.check_resume(train_gan_packages.main, argv, out)
            meta = self.export(out)
            self.assertEqual((meta['task'], meta['imgsz'], meta['arch']),
                             ('gan-packages', '[32, 32]', 'regionwise' if extra[0] == '--coherence' else 'dcgan'))


if __name__ == '__main__':
    unittest.main()
