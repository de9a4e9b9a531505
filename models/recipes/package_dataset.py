#!/usr/bin/python3
"""Package ROI dataset from `die-inspect synth` output: full images, one `package` object
each, labelled with its outline polygon (the ground-truth package quad).

    python3 models/recipes/package_dataset.py --synth data/synth-train [--count 1000]

Writes SYNTH/package/{images,labels,data.yaml}: images are links to SYNTH/images, labels
the YOLO-seg polygon form `0 x1 y1 x2 y2 x3 y3 x4 y4` (normalised, TL TR BR BL). The
detector recipe reads the polygon's bounding box, the segmenter the polygon itself.
Only brightfield images are used (the pipeline skips the other modes before ROI).
"""
import argparse
import json
import os


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--synth', required=True, help='a `die-inspect synth` output folder')
    ap.add_argument('--count', type=int, default=0, help='use only the first N images (0 = all)')
    ap.add_argument('--out', help='default SYNTH/package')
    a = ap.parse_args()
    with open(os.path.join(a.synth, 'meta.json')) as f:
        meta = [m for m in json.load(f) if m.get('mode', 'brightfield') == 'brightfield']
    if a.count:
        meta = meta[:a.count]
    out = a.out or os.path.join(a.synth, 'package')
    for d in ('images', 'labels'):
        os.makedirs(os.path.join(out, d), exist_ok=True)
    for m in meta:
        src = os.path.abspath(os.path.join(a.synth, m['file']))
        name = os.path.basename(m['file'])
        link = os.path.join(out, 'images', name)
        if os.path.lexists(link):
            os.remove(link)
        os.symlink(src, link)
        w, h = m['width'], m['height']
        pts = ' '.join(f'{x / w:.6f} {y / h:.6f}' for x, y in m['packageQuad'])
        with open(os.path.join(out, 'labels', os.path.splitext(name)[0] + '.txt'), 'w') as f:
            f.write(f'0 {pts}\n')
    with open(os.path.join(out, 'data.yaml'), 'w') as f:
        f.write('names: [package]\n')
    print(f'{out}: {len(meta)} images')


if __name__ == '__main__':
    main()
