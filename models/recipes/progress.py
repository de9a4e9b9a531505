"""Progress over one pass of a DataLoader, on stderr."""
import sys
import time


def progress(iterable, total, desc):
    """A tqdm bar on a terminal (Debian python3-tqdm); into a log file, a plain line a
    minute (a redrawn bar would leave carriage returns in it), so a 20-minute CPU epoch is
    not silent either way."""
    if sys.stderr.isatty():
        try:
            from tqdm import tqdm
            return tqdm(iterable, total=total, desc=desc, unit='batch', leave=False, dynamic_ncols=True,
                        file=sys.stderr)
        except ImportError:
            pass
    return _timed_lines(iterable, total, desc, every=60.0)


def _timed_lines(iterable, total, desc, every):
    t0 = last = time.time()
    for i, item in enumerate(iterable):
        yield item
        now = time.time()
        if now - last >= every and i + 1 < total:
            last = now
            rate = (i + 1) / (now - t0)
            print(f'{desc}: {i + 1}/{total} batches, {rate:.2f} batch/s, about {(total - i - 1) / rate / 60:.0f} min left',
                  file=sys.stderr, flush=True)
