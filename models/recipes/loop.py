"""The epoch loop the training recipes share, and the run folder it keeps (args.out).

A recipe parses its options, opens the run (`Run(args, ...)`, which exits at once when
every epoch is already done), builds its data, model, EMA, optimizer and AMP scaler,
hands those to `run.resume(...)` and calls `run.train(meta, Hooks(...))` with a step
function (one training batch) and a validate function (metrics of the EMA model).

The run folder:
  last.pt     after every epoch: model, EMA, optimizer, scaler, epoch, best figure so far,
              metrics, RNG state, with the recipe's meta, its command (`recipe`) and
              options (`args`)
  best.pt     the EMA weights and meta of the best validated epoch
  log.csv     a row an epoch: epoch, lr, the recipe's columns, train_s, epoch_s, s_per_img
  recipe.txt  the command that started the run (a resume keeps it)
  done.yaml   the epochs and the best figure, once the last epoch is done

Re-running the same command resumes after the last finished epoch (an interrupted epoch
is redone and its log rows dropped); --restart starts over. Options read from args: out,
epochs, restart, max_minutes, fit_minutes, and val_every where the recipe has it.
"""
import math
import os
import shlex
import sys
import time
from dataclasses import dataclass
from typing import Callable

import yaml

from budget import fit_epochs, out_of_time
from checkpoints import load_checkpoint, restore_state, save_epoch
from csvlog import append_csv, truncate_csv
from progress import progress


def recipe_command():
    """The command line that is running, as one copy-pastable string."""
    return shlex.join(['python3'] + sys.argv)


def epoch_batches(n_images, batch, max_batches=0):
    """Training batches an epoch: all of them, or at most --max-batches (debug)."""
    nb = math.ceil(n_images / batch)
    return min(nb, max_batches) if max_batches else nb


@dataclass
class Hooks:
    """What a recipe hands Run.train.

    step(batch, i, epoch, tally) trains on batch i of epoch (0-based) and returns its number
    of images; tally is a dict made new each epoch by tally(), where step keeps running
    figures. validate() returns the EMA model's metrics, fitness(metrics) the figure best.pt
    is chosen on, log(tally, metrics) the epoch's log.csv columns and the text of its line."""
    batches: int                      # training batches an epoch
    loader: Callable                  # epoch -> iterable of training batches
    step: Callable
    validate: Callable
    fitness: Callable
    log: Callable
    tally: Callable = dict
    metrics: tuple = ()               # what an epoch skipped by --val-every logs as NaN
    late_columns: tuple = ()          # log.csv columns that come after the timings


class Run:
    """A run folder: opening it reads OUT/last.pt (exits when every epoch is done)."""

    def __init__(self, args, fitness_name, done_key):
        self.args, self.fitness_name, self.done_key = args, fitness_name, done_key
        self.t_start = time.time()
        os.makedirs(args.out, exist_ok=True)
        self.last_path, self.best_path = os.path.join(args.out, 'last.pt'), os.path.join(args.out, 'best.pt')
        self.log_path = os.path.join(args.out, 'log.csv')
        self.val_every = max(getattr(args, 'val_every', 1), 1)
        self.ckpt = self._last_checkpoint()  # None for a fresh run or --restart

    def _last_checkpoint(self):
        args = self.args
        if not os.path.exists(self.last_path) or args.restart:
            return None
        ckpt = load_checkpoint(self.last_path)
        if args.fit_minutes and ckpt['epoch'] >= 1:  # a resumed --fit-minutes run keeps its fitted --epochs
            args.epochs = ckpt['args']['epochs']
        if ckpt['epoch'] >= args.epochs:
            print(f'{args.out}: all {ckpt["epoch"]} epochs done (best val {self.fitness_name} {ckpt["best_fitness"]:.4f}); '
                  f'raise --epochs to train on, or --restart')
            raise SystemExit(0)
        return ckpt

    def check_args(self, keys, strict):
        """When resuming, compare these options with the checkpoint's: exit on a difference
        when strict, else warn."""
        for k in keys if self.ckpt is not None else ():
            was, now = self.ckpt['args'].get(k), getattr(self.args, k)
            if was == now:
                continue
            if strict:
                raise SystemExit(f'--{k} {now} differs from {self.last_path} ({was}); use another --out or --restart')
            print(f'warning: --{k} {now} differs from the checkpoint ({was}); resuming anyway')

    def resume(self, model, ema, opt, scaler):
        """Training state from OUT/last.pt, or a fresh log and OUT/recipe.txt. Sets
        start_epoch, best_fitness and recipe (a resumed run keeps its first command)."""
        self.state = (model, ema, opt, scaler)
        recipe = recipe_command()
        ckpt, self.ckpt = self.ckpt, None
        if ckpt is None:
            truncate_csv(self.log_path, 0)
            with open(os.path.join(self.args.out, 'recipe.txt'), 'w') as f:
                f.write(recipe + '\n')
            self.start_epoch, self.best_fitness, self.recipe = 0, -1.0, recipe
            return
        restore_state(ckpt, model, ema, opt, scaler)
        truncate_csv(self.log_path, ckpt['epoch'])
        print(f'resuming {self.args.out} after epoch {ckpt["epoch"]}/{self.args.epochs}')
        self.start_epoch, self.best_fitness, self.recipe = ckpt['epoch'], ckpt['best_fitness'], ckpt.get('recipe', recipe)

    def train(self, meta, hooks):
        """Epochs start_epoch..args.epochs: train, validate, log, checkpoint. Returns False
        when --max-minutes paused the run, True when it is done."""
        args = self.args
        # vars(args) is args' own dict: the checkpoints carry an --epochs fitted later
        meta = {**meta, 'recipe': self.recipe, 'args': vars(args)}
        for epoch in range(self.start_epoch, args.epochs):
            t_ep = time.time()
            tally, n_img, train_s = self._train_epoch(hooks, epoch)
            m, fitness, val_s = self._validate(hooks, epoch)
            is_best = fitness > self.best_fitness
            self.best_fitness = max(self.best_fitness, fitness)
            ep_s = time.time() - t_ep
            self._log(hooks, epoch, hooks.log(tally, m), (train_s, ep_s, n_img))
            # a fitted epoch's cost: training plus its share of validation (every --val-every epochs)
            state = self._end_epoch(epoch, ep_s, ep_s - val_s + val_s / self.val_every, lambda: save_epoch(
                (self.last_path, self.best_path), meta, self.state, epoch + 1, m, self.best_fitness, is_best))
            if state == 'paused':
                return False
            if state == 'done':  # --fit-minutes may have shortened the run
                break
        print(f'done: best val {self.fitness_name} {self.best_fitness:.4f}; weights {self.best_path}')
        with open(os.path.join(args.out, 'done.yaml'), 'w') as f:
            yaml.safe_dump({'epochs': args.epochs, self.done_key: float(self.best_fitness)}, f)
        return True

    def _train_epoch(self, hooks, epoch):
        model, _, opt, _ = self.state
        model.train()
        loader = hooks.loader(epoch)
        tally, n_img = hooks.tally(), 0
        opt.zero_grad(set_to_none=True)
        t_train = time.time()
        for i, batch in enumerate(progress(loader, hooks.batches, f'epoch {epoch + 1}/{self.args.epochs}')):
            if i >= hooks.batches:
                break
            n_img += hooks.step(batch, i, epoch, tally)
        return tally, n_img, time.time() - t_train

    def _validate(self, hooks, epoch):
        """(metrics, fitness, seconds). Epoch 1 of a --fit-minutes run is always validated;
        an epoch --val-every skips has NaN metrics and cannot become best.pt."""
        fitting = self.args.fit_minutes and epoch == 0
        if (epoch + 1) % self.val_every == 0 or epoch + 1 == self.args.epochs or fitting:
            t_val = time.time()
            m = hooks.validate()
            val_s = time.time() - t_val
            return m, hooks.fitness(m), val_s
        return dict.fromkeys(hooks.metrics, float('nan')), -1.0, 0.0

    def _log(self, hooks, epoch, summary, times):
        """A row in log.csv and the epoch's line on stdout."""
        (cols, text), (train_s, ep_s, n_img) = summary, times
        row = {'epoch': epoch + 1, 'lr': self.state[2].param_groups[0]['lr']}
        row.update((k, v) for k, v in cols.items() if k not in hooks.late_columns)
        row.update(train_s=train_s, epoch_s=ep_s, s_per_img=train_s / max(n_img, 1))
        row.update((k, cols[k]) for k in hooks.late_columns if k in cols)
        append_csv(self.log_path, row)
        print(f'epoch {epoch + 1}/{self.args.epochs} {text} | {ep_s:.1f}s ({train_s / max(n_img, 1):.3f} s/img train)',
              flush=True)

    def _end_epoch(self, epoch, epoch_s, cost, save):
        """Checkpoints epoch `epoch` (0-based) with save(). After epoch 1 of a --fit-minutes
        run it sizes --epochs from `cost` (the epoch's seconds as later epochs will spend
        them; the checkpoint's time is added) and saves again, so that a resume keeps the
        fitted --epochs. Returns 'paused' when --max-minutes stops the run, 'done' after its
        last epoch, else None."""
        args = self.args
        t_save = time.time()
        save()
        if args.fit_minutes and epoch == 0:
            args.epochs = fit_epochs(args, self.t_start, cost + time.time() - t_save)
            save()
        if out_of_time(args, self.t_start, epoch_s, epoch + 1):
            return 'paused'
        return 'done' if epoch + 1 >= args.epochs else None
