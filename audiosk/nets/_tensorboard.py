"""Opt-in TensorBoard logging for the neural estimators."""

from __future__ import annotations

from skorch.callbacks import TensorBoard

__all__ = ["TensorBoardLogger"]


class TensorBoardLogger(TensorBoard):
    """Log every epoch's losses and metrics to a TensorBoard folder.

    skorch's ``TensorBoard`` callback with the writer made from a folder at
    the start of training, so the estimator stays clonable and picklable.
    Needs the ``tensorboard`` package (``pip install tensorboard``).

    Parameters
    ----------
    logdir : str or os.PathLike
        Folder of the event files (one run per fit).
    **kwargs
        ``keys_ignored``, ``key_mapper``, ``close_after_train`` of skorch's
        callback.

    See Also
    --------
    audiosk.nets.NeuralClassifier : A net that takes it in ``callbacks``.
    audiosk.plotting.plot_learning_curves : Draw the same history after training.

    Examples
    --------
    >>> import tempfile
    >>> from audiosk.nets import NeuralClassifier, TensorBoardLogger
    >>> net = NeuralClassifier(callbacks=[TensorBoardLogger(tempfile.mkdtemp())])
    """

    def __init__(self, logdir, **kwargs):
        self.logdir = logdir
        super().__init__(writer=None, **kwargs)

    def initialize(self):
        """Open a ``SummaryWriter`` on ``logdir``, then initialise skorch's callback.

        Returns
        -------
        self : TensorBoardLogger
            The callback, ready to log.
        """
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError as exc:
            raise ImportError(
                "TensorBoardLogger needs the tensorboard package: pip install tensorboard."
            ) from exc
        self.writer = SummaryWriter(log_dir=str(self.logdir))
        return super().initialize()

    def get_params(self, deep=True):
        """Get the callback's parameters, without the writer (made at ``initialize``).

        Parameters
        ----------
        deep : bool, default=True
            Passed to skorch's ``get_params``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep)
        params.pop("writer", None)
        return params

    def __getstate__(self):
        state = self.__dict__.copy()
        state["writer"] = None  # a SummaryWriter holds open files
        return state
