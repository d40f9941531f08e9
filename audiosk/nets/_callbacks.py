"""Callbacks of the neural estimators: best weights kept in memory."""

from __future__ import annotations

import copy

import numpy as np
from skorch.callbacks import Callback

__all__ = ["RestoreBestWeights"]


class RestoreBestWeights(Callback):
    """Keep the weights of the epoch with the lowest ``monitor`` and load them at the end.

    The copy lives in memory during training only: it is not pickled with
    the net (a fitted net already holds the best weights).

    Parameters
    ----------
    monitor : str, default="valid_loss"
        History key to minimise.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralRegressor, RestoreBestWeights
    >>> X = np.random.default_rng(0).normal(size=(40, 3)); y = X.sum(axis=1)
    >>> net = NeuralRegressor(max_epochs=3, validation_fraction=0.25, random_state=0,
    ...                       callbacks=[RestoreBestWeights()]).fit(X, y)
    >>> bool(net.callbacks[0].best_score_ == min(net.history[:, "valid_loss"]))
    True
    """

    def __init__(self, monitor: str = "valid_loss"):
        self.monitor = monitor

    def on_train_begin(self, net, **kwargs):
        self.best_score_, self.best_state_ = np.inf, None

    def on_epoch_end(self, net, **kwargs):
        score = net.history[-1, self.monitor]
        if score < self.best_score_:
            self.best_score_ = score
            self.best_state_ = copy.deepcopy(net.module_.state_dict())

    def on_train_end(self, net, **kwargs):
        if self.best_state_ is not None:
            net.module_.load_state_dict(self.best_state_)
        self.best_state_ = None

    def __getstate__(self):
        return {**self.__dict__, "best_state_": None}
