"""Callbacks of the neural estimators: schedules that follow the recipe, settled batch norms.

Best weights are skorch's ``EarlyStopping(load_best=True)`` (:func:`best_weights`).
"""

from __future__ import annotations

import torch
from skorch.callbacks import Callback, EarlyStopping, LRScheduler

__all__ = ["EpochLRScheduler", "RefreshBatchNorm", "best_weights"]


def best_weights(monitor: str, patience: float) -> EarlyStopping:
    """Return skorch's early stopping that loads the best weights at the end (inf: never stops)."""
    return EarlyStopping(monitor=monitor, patience=patience, load_best=True)


class EpochLRScheduler(LRScheduler):
    """skorch's ``LRScheduler`` whose epoch-dependent settings follow the net's ``max_epochs_``.

    ``T_max`` of the cosine schedule and ``step_size`` of the step schedule
    are resolved when training begins, from the number of epochs the net
    resolved at fit (``max_epochs="auto"`` included), unless given.
    """

    def on_train_begin(self, net, **kwargs):
        epochs, given = net.max_epochs_, self.kwargs
        defaults = {
            torch.optim.lr_scheduler.CosineAnnealingLR: {"T_max": epochs},
            torch.optim.lr_scheduler.StepLR: {"step_size": max(1, epochs // 3)},
        }.get(self.policy_, {})
        added = {k: v for k, v in defaults.items() if k not in given}
        vars(self).update(added)  # read by skorch as scheduler arguments, for this call only
        try:
            super().on_train_begin(net, **kwargs)
        finally:
            for key in added:
                del vars(self)[key]


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
