"""OUT/log.csv: one row an epoch, header from the first row's keys."""
import os


def append_csv(path, row):
    new = not os.path.exists(path)
    with open(path, 'a') as f:
        if new:
            f.write(','.join(row.keys()) + '\n')
        f.write(','.join(f'{v:.6g}' if isinstance(v, float) else str(v) for v in row.values()) + '\n')


def truncate_csv(path, last_epoch):
    """On resume, drop log rows of epochs after the checkpoint (e.g. an interrupted epoch)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = f.readlines()
    if not lines:
        return
    keep = [lines[0]] + [ln for ln in lines[1:] if ln.split(',')[0].isdigit() and int(ln.split(',')[0]) <= last_epoch]
    with open(path, 'w') as f:
        f.writelines(keep)
