"""Callbacks of the neural estimators: schedules that follow the recipe, settled batch norms.

The callbacks that follow the net's parameters read them when training begins (they
are checked by then), never when they are built: skorch builds the default callbacks
in ``get_params``, which must work whatever values were set.
"""

from __future__ import annotations

import numpy as np
import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

__all__ = ["AverageWeights", "BestWeights", "RefreshBatchNorm", "Schedule", "recompute_batch_norm"]


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
        steps = int(sum(net.history[:, "train_batch_count"]))
        norms = _training_norms(net.module_)
        if norms and max((1 - m.momentum) ** steps for m in norms) > self.max_initial_share:
            recompute_batch_norm(net, dataset)

    def __getstate__(self):
        return {**self.__dict__, "dataset_train_": None}


def _training_norms(module):
    """List the batch norms of ``module`` that train and keep moving averages (not frozen ones)."""
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
    module.train(was_training)
    return norms


def recompute_batch_norm(net, dataset):
    """Recompute the running statistics of the module's batch norms over one pass of ``dataset``.

    Exact averages over the data (not moving averages), in evaluation mode
    otherwise (dropout off, as at prediction); frozen stages keep theirs.
    """
    module = net.module_
    was_training = module.training
    norms = _training_norms(module)
    if not norms:
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


class AverageWeights(Callback):
    """Average the module's weights over training, as the net's ``average_weights_`` says.

    ``"ema"``: an exponential moving average of the weights (and batch-norm
    statistics) after every training step, whose time constant is ten
    epochs, or a quarter of a training of fewer than 40 epochs; ``"swa"``: the
    plain mean of the weights at the end of each epoch of the last quarter
    of training, after which the batch-norm statistics are recomputed for
    them (stochastic weight averaging). The averaged weights replace the
    module's when training ends (not when it is interrupted). Built on
    ``torch.optim.swa_utils.AveragedModel``.

    Attributes
    ----------
    averaged_ : torch.optim.swa_utils.AveragedModel or None
        The average of the last training.
    """

    def on_train_begin(self, net, **kwargs):
        self.averaged_, self.dataset_train_ = None, None
        self.kind_ = getattr(net, "average_weights_", None)

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        self.dataset_train_ = dataset_train
        if self.kind_ is None or self.averaged_ is not None:
            return
        from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

        if self.kind_ == "ema":  # a time constant of ten epochs, or a quarter of a short training
            per_epoch = max(1, len(net.get_iterator(dataset_train, training=True)))
            horizon = min(10.0, net.max_epochs_ / 4) * per_epoch
            decay = min(0.9999, max(0.5, 1 - 1 / max(horizon, 1.0)))
            self.averaged_ = AveragedModel(
                net.module_, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True
            )
        else:
            self.averaged_ = AveragedModel(net.module_)
            self.first_epoch_ = len(net.history) - 1 + (3 * net.max_epochs_) // 4

    def on_batch_end(self, net, training=False, **kwargs):
        if training and self.kind_ == "ema" and self.averaged_ is not None:
            self.averaged_.update_parameters(net.module_)

    def on_epoch_end(self, net, **kwargs):
        if (
            self.kind_ == "swa"
            and self.averaged_ is not None
            and len(net.history) > self.first_epoch_
        ):
            self.averaged_.update_parameters(net.module_)

    def on_train_end(self, net, **kwargs):
        averaged, dataset = getattr(self, "averaged_", None), getattr(self, "dataset_train_", None)
        self.dataset_train_ = None
        if averaged is None or getattr(net, "_interrupted", False) or averaged.n_averaged == 0:
            return
        net.module_.load_state_dict(averaged.module.state_dict())
        if self.kind_ == "swa" and dataset is not None:
            recompute_batch_norm(net, dataset)

    def __getstate__(self):
        return {**self.__dict__, "dataset_train_": None}
