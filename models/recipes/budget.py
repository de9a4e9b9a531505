"""Time budgets: --max-minutes (stop between epochs, resume later) and --fit-minutes
(size --epochs after epoch 1 so the whole schedule fits)."""
import time


def fit_epochs(args, t_start, epoch_s):
    """--fit-minutes: after the first epoch, size --epochs so the whole run (the cosine
    schedule included) ends inside the budget. The card records the resolved --epochs,
    which reproduces the schedule without the budget."""
    left = args.fit_minutes * 60 - (time.time() - t_start)
    # a tenth held back: later epochs can run slower than the first (a shared machine)
    epochs = max(1, min(args.epochs, 1 + int(0.9 * left // max(epoch_s, 1e-6))))
    print(f'--fit-minutes {args.fit_minutes}: {epoch_s:.1f}s an epoch, {left / 60:.1f} min left: '
          f'--epochs {epochs} (was {args.epochs})', flush=True)
    return epochs


def out_of_time(args, t_start, epoch_s, epoch):
    """--max-minutes: stop after this epoch when the next one would overrun the budget."""
    if not args.max_minutes or epoch >= args.epochs:
        return False
    elapsed = time.time() - t_start
    if elapsed + epoch_s <= args.max_minutes * 60:
        return False
    print(f'stopping after epoch {epoch}: {elapsed / 60:.1f} min used of --max-minutes '
          f'{args.max_minutes}; re-run the same command to continue')
    return True
