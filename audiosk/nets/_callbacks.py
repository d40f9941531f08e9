"""Callbacks of the neural estimators: schedules that follow the recipe, settled batch norms.

The callbacks that follow the net's parameters read them when training begins (they
are checked by then), never when they are built: skorch builds the default callbacks
in ``get_params``, which must work whatever values were set.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

__all__ = ["BestWeights", "RefreshBatchNorm", "Schedule"]


class BestWeights(Callback):
    """Keep the weights of the best epoch, as the net's ``early_stopping`` and ``restore_best`` ask.

    When training begins, the net's parameters (checked by then) choose the
    behaviour: with ``early_stopping`` skorch's ``EarlyStopping(load_best=True)``
    with the net's ``patience``; with ``restore_best`` the same that never
    stops; otherwise nothing. It watches the validation loss when the net
    holds data out, else the training loss. Building it reads no parameter,
    so that ``get_params`` works whatever values were set.

    Attributes
    ----------
    stopper_ : skorch.callbacks.EarlyStopping or None
        The early stopping of the last training (its ``best_epoch_``).
    """

    def on_train_begin(self, net, **kwargs):
        self.stopper_ = None
        if not (net.early_stopping or net.restore_best):
            return
        self.stopper_ = EarlyStopping(
            monitor="valid_loss" if net._validates() else "train_loss",
            patience=net.patience if net.early_stopping else np.inf,
            load_best=True,
        ).initialize()
        self.stopper_.on_train_begin(net, **kwargs)

    def on_epoch_end(self, net, **kwargs):
        if getattr(self, "stopper_", None) is not None:
            self.stopper_.on_epoch_end(net, **kwargs)

    def on_train_end(self, net, **kwargs):
        if getattr(self, "stopper_", None) is not None:
            self.stopper_.on_train_end(net, **kwargs)


class Schedule(Callback):
    """The learning-rate schedule the net's ``lr_schedule`` names, built when training begins.

    skorch's ``LRScheduler`` with the policy of ``lr_schedule`` (a name of
    ``LR_SCHEDULES``, a scheduler class, or such a pair with its arguments);
    ``T_max`` of the cosine schedule and ``step_size`` of the step schedule
    follow the epochs the net resolved (``max_epochs_``) unless given, and
    the plateau schedule divides the rate by 10 after half the net's
    ``patience`` without improvement. Building it reads no parameter.

    Attributes
    ----------
    scheduler_ : skorch.callbacks.LRScheduler or None
        The schedule of the last training (None: a constant rate).
    """

    def on_train_begin(self, net, **kwargs):
        from ._recipes import LR_SCHEDULES

        self.scheduler_ = None
        spec = net.lr_schedule
        policy, given = spec if isinstance(spec, tuple) else (spec, {})
        if policy is None:
            return
        policy = LR_SCHEDULES[policy] if isinstance(policy, str) else policy
        epochs = net.max_epochs_
        defaults = {
            torch.optim.lr_scheduler.CosineAnnealingLR: {"T_max": epochs},
            torch.optim.lr_scheduler.StepLR: {"step_size": max(1, epochs // 3)},
            torch.optim.lr_scheduler.ReduceLROnPlateau: {
                "patience": max(1, net.patience // 2),
                "factor": 0.1,
            },
        }.get(policy, {})
        monitor = "valid_loss" if net._validates() else "train_loss"
        self.scheduler_ = LRScheduler(policy=policy, monitor=monitor, **{**defaults, **given})
        self.scheduler_.initialize().on_train_begin(net, **kwargs)

    def on_batch_end(self, net, **kwargs):
        if getattr(self, "scheduler_", None) is not None:
            self.scheduler_.on_batch_end(net, **kwargs)

    def on_epoch_end(self, net, **kwargs):
        if getattr(self, "scheduler_", None) is not None:
            self.scheduler_.on_epoch_end(net, **kwargs)


class RefreshBatchNorm(Callback):
    """Recompute batch-norm running statistics on the training data after a short training.

    Running statistics are moving averages (momentum 0.1): after a few
    dozen steps they still hold much of their initial values and lag the
    weights, and a net that scores 1.0 on its training batches can predict
    one class at ``predict``. When the statistics still hold more than
    ``max_initial_share`` of their initial values, they are recomputed as
    exact averages over one pass of the training data in evaluation mode
    (dropout off, as at prediction). Frozen stages keep theirs.

    Parameters
    ----------
    max_initial_share : float, default=0.01
        Largest share of the initial statistics left in place.
    """

    def __init__(self, max_initial_share: float = 0.01):
        self.max_initial_share = max_initial_share

    def on_train_begin(self, net, **kwargs):
        self.dataset_train_ = None

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        self.dataset_train_ = dataset_train

    def on_train_end(self, net, **kwargs):
        dataset, self.dataset_train_ = getattr(self, "dataset_train_", None), None
        if dataset is None or getattr(net, "_interrupted", False):
            return
        module = net.module_
        was_training = module.training
        module.train()  # frozen stages stay in evaluation mode
        norms = [
            m
            for m in module.modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)
            and m.track_running_stats
            and m.momentum is not None
            and m.training
        ]
        steps = int(sum(net.history[:, "train_batch_count"]))
        if not norms or max((1 - m.momentum) ** steps for m in norms) <= self.max_initial_share:
            module.train(was_training)
            return
        momenta = [m.momentum for m in norms]
        module.eval()
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the pass
            m.train()
        try:
            with torch.no_grad():
                for batch in net.get_iterator(dataset, training=False):
                    Xi = batch[0] if isinstance(batch, (tuple, list)) else batch
                    net.infer(Xi)
        finally:
            for m, momentum in zip(norms, momenta, strict=True):
                m.momentum = momentum
            module.train(was_training)

    def __getstate__(self):
        return {**self.__dict__, "dataset_train_": None}
