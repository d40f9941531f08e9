"""The neural estimators: skorch nets whose architecture and recipe are chosen from the data."""

# Past 400 lines because most of it is the two estimators' parameter tables and docstrings;
# the behaviour they share is in ``_base``.

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import EpochScoring
from skorch.dataset import Dataset
from skorch.utils import to_numpy
from torch.utils.data import DataLoader

from ..utils._sklearn_compat import InvalidParameterError
from ._base import BaseAudioNet
from ._runtime import torch_threads

__all__ = ["NeuralClassifier", "NeuralRegressor"]


def _standardized_r2(net, X, y):
    """Score R2 of the net's outputs against the standardised targets it trains on."""
    from sklearn.metrics import r2_score

    y_true = np.asarray(y if not torch.is_tensor(y) else y.cpu().numpy())
    y_pred = to_numpy(net.forward(X, training=False))
    return float(r2_score(y_true.reshape(len(y_true), -1), y_pred.reshape(len(y_pred), -1)))


def _encoded_accuracy(net, X, y):
    """Score the argmax against the encoded labels the net trains on."""
    y_true = np.asarray(y if not torch.is_tensor(y) else y.cpu().numpy()).ravel()
    return float(np.mean(net.predict_proba(X).argmax(axis=1) == y_true))


_COMMON_DOC = """
    With no arguments the net follows a recipe measured on small and medium
    audio datasets on CPU (``benchmarks/bench_defaults.py``): the architecture
    and the length of training come from the shape of the data, and every
    part of the recipe is a parameter below.

    ============  ======================  ==========  ========================
    input         ``module="auto"``       epochs      ``augment="auto"``
    ============  ======================  ==========  ========================
    table 2-D     :class:`MLP` 512-256    100         mixup (alpha 0.4)
    spectra 3-D   :class:`TDNN`           40          SpecAugment, mixup 0.2
    images 4-D    :class:`CNN`            40          SpecAugment, mixup 0.2
    pretrained    (as given)              10          mixup 0.2
    ============  ======================  ==========  ========================

    "pretrained" is the fine-tuning recipe: a ``panns_*`` module, or any
    module given ``module__weights``. The recipe followed is ``recipe_``.
    On spectra of different lengths (a :class:`~audiosk.containers.Spectra`
    list) the TDNN removes no per-clip mean (``center_per_clip=False``): on short
    words that mean is the word's own spectrum.
    All three from-scratch networks standardise their input inside the net (no scaler needed in
    front) and train with AdamW (learning rate 1e-3, weight decay 1e-2) on
    a cosine learning-rate schedule, on all the training data: nothing is
    held out unless validation is asked for.

    Parameters
    ----------
    module : "auto", str or torch.nn.Module class, default="auto"
        The architecture: "auto" (the table above), or by name ("mlp",
        "tdnn", "cnn", "resnet18", "resnet34", "resnet50", "googlenet",
        "panns"): :class:`~audiosk.nets.MLP`,
        :class:`~audiosk.nets.TDNN`, :class:`~audiosk.nets.CNN`,
        :class:`~audiosk.nets.ResNet`, :class:`~audiosk.nets.GoogLeNet`,
        :class:`~audiosk.nets.PANNs` (on waveforms; pretrained weights with
        ``module__weights=PATH``, fine-tuning of the last stages with
        ``module__trainable_layers=n``), or any module class.
        ``input_shape`` (one sample's shape), ``n_outputs`` and ``sr`` (the
        rate of :class:`~audiosk.containers.Waveforms` input) are inferred at fit
        and passed when the class accepts them; its other arguments are set
        as ``module__<name>``.
    criterion : torch loss class
        The loss.
    optimizer : {"adamw", "adam", "sgd", "rmsprop"} or torch optimizer class, default="adamw"
        Optimiser; further arguments as ``optimizer__<name>``.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : "auto" or int, default="auto"
        Training epochs; "auto" is 100 for tables and 40 for spectra and images.
    batch_size : int, default=32
        Mini-batch size; training batches are reshuffled every epoch
        (``iterator_train__shuffle=False`` keeps the order).
    weight_decay : float, default=1e-2
        Weight decay passed to the optimiser (decoupled for AdamW).
    momentum : float, default=0.9
        Momentum for "sgd".
    validation_fraction : float or None, default=None
        Share of the training data held out to report validation loss and
        metric each epoch. ``None`` holds out nothing, unless
        ``early_stopping``, ``restore_best`` or the "plateau" schedule needs
        a validation score; then 0.2 is held out. The split is stratified
        for classifiers and, when ``fit`` is given ``groups``, keeps every
        group on one side. A skorch ``train_split`` given instead takes
        precedence.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience``
        epochs and restore the best weights.
    patience : int, default=5
        Epochs without improvement before stopping.
    lr_schedule : {"cosine", "step", "plateau"}, scheduler class, (name or class, dict) or None, \
default="cosine"
        Learning-rate schedule. "cosine" anneals to zero over
        ``max_epochs``; "step" divides the rate by 10 every
        ``max_epochs // 3`` epochs, ``("step", {"step_size": 45})`` after 45
        epochs; "plateau" when the validation loss stalls; None keeps it
        constant.
    restore_best : bool, default=False
        Load the weights of the epoch with the lowest validation loss when
        training ends (skorch's ``EarlyStopping(load_best=True)`` that never
        stops; the best checkpoint is kept in memory).
    augment : "auto", str, augmentation object, list of them, or None, default="auto"
        Training-time augmentation of each mini-batch (never at prediction):
        "auto" (the table above), "specaugment" (:class:`SpecAugment`),
        "warp" (:class:`FrequencyWarp`), "stretch" (:class:`TimeStretch`),
        "noise" (:class:`AddNoise`), "shift" (:class:`TimeShift`), "mixup"
        (:class:`Mixup`), or configured objects such as
        ``SpecAugment(time_width=30)``, applied in the order given. Objects
        are cloned at fit (the parameter is never modified); one object's
        parameters are searchable as ``augment__<name>``
        (``augment=Mixup(), augment__alpha=0.4``). The augmentations used
        are ``augment_``.
    random_state : int, RandomState instance or None, default=None
        Seed of the generator the net owns (``random_generator_``), the
        source of the weight initialisation, batch order, dropout,
        augmentation and validation split: equal seeds give identical models
        on one machine, whether fitted alone, in threads or in processes.
        ``None`` draws a fresh seed at every fit (``random_seed_``).
    n_threads : int or None, default=1
        CPU threads torch uses while this net trains and predicts (``-1``:
        one per core). torch's thread count is process-global: it is set
        when the work starts and the process' count is restored when the
        last net working ends. One thread is the default because torch's
        own default, one per core, collapses when a core is busy with other
        work (joblib workers, a second process; see
        ``benchmarks/bench_threads.py``); ``None`` leaves torch's setting.
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
        "auto" uses CUDA when available; resolved at fit into ``device_``
        (a device this machine lacks is refused there).
    on_interrupt : {"raise", "stop"}, default="raise"
        What a Ctrl-C (KeyboardInterrupt) during fit does. "raise" ends
        training (the callbacks' ``on_train_end`` runs, so a best checkpoint
        is still loaded) and raises the KeyboardInterrupt again, so a search
        or a cross-validation stops too. "stop" is skorch's behaviour for
        interactive training: fit returns the net trained so far.
    verbose : int, default=0
        ``1`` prints a table row per epoch.
    callbacks : list of skorch callbacks or None, default=None
        Extra callbacks.
    **kwargs
        Any other skorch ``NeuralNet`` argument, and routed parameters
        (``module__``, ``optimizer__``, ``callbacks__``, ...).

    Notes
    -----
    Parameters are checked when ``fit`` starts (an
    ``sklearn.utils._param_validation.InvalidParameterError``, a
    ``ValueError``, names the parameter and what it accepts), and fit and
    predict never change them: everything resolved from the data or the
    machine is a fitted attribute (``module_``, ``recipe_``,
    ``max_epochs_``, ``augment_``, ``device_``, ``random_seed_``).

    Signed 8-, 16- and 32-bit integer input is integer PCM (the sample
    widths of WAV files) and is scaled to [-1, 1) as everywhere in audiosk
    (:func:`~audiosk.containers.to_float`), whatever holds it; 64-bit integers
    are taken as numbers (cast other integer tables to float).

    A fitted net pickles (``pickle``, ``joblib``) with everything it needs,
    but loading a pickle runs code stored in the file: load only files you
    trust. ``save_params(f_params=...)`` writes the weights alone, and
    ``load_params`` reads them back with ``torch.load(weights_only=True)``
    into a net built in code.
"""


class NeuralClassifier(BaseAudioNet, NeuralNetClassifier):
    __doc__ = (
        """Neural network classifier whose architecture is chosen by name.

    A skorch ``NeuralNetClassifier`` that infers the input shape and the
    number of classes at fit (so ``PCA(n_components)`` or ``n_mels`` can be
    searched in front of it), accepts any labels (``classes_``), casts input
    to float32, and adds early stopping, learning-rate schedules and best
    weights as parameters.
"""
        + _COMMON_DOC
        + """
    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen at fit.
    input_shape_ : tuple of int (last item None for clips of different lengths)
        Shape of one sample seen at fit; ``(n_bins, None)`` for spectra of
        different lengths.
    n_outputs_ : int
        Number of classes.
    sample_rate_ : int or None
        Sample rate of :class:`~audiosk.containers.Waveforms` input at fit
        (``None`` for other input); input at another rate is refused.
    recipe_ : {"table", "spectra", "images", "finetune"} or None
        The recipe the "auto" parameters followed.
    max_epochs_ : int
        Epochs trained per call.
    augment_ : list of Augmentation
        The augmentations applied (fresh copies of ``augment``).
    device_ : str or torch.device
        The device the net trained on.
    random_seed_ : int
        The seed of this fit (``random_state``, or the one drawn).
    random_generator_ : torch.Generator
        The generator the net draws from.
    history : skorch History
        Per-epoch ``train_loss``, ``valid_loss``, ``train_acc``, ``valid_acc``, ``dur``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 5)); y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = NeuralClassifier(random_state=0).fit(X, y)   # an MLP for a table
    >>> clf.classes_.tolist(), clf.score(X, y) > 0.9
    (['no', 'yes'], True)
    """
    )

    _stratify = True
    _parameter_constraints: dict = {
        **BaseAudioNet._parameter_constraints,
        "classes": ["array-like", None],
    }

    def __init__(
        self,
        module="auto",
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer="adamw",
        lr=1e-3,
        max_epochs="auto",
        batch_size=32,
        weight_decay=1e-2,
        momentum=0.9,
        validation_fraction=None,
        early_stopping=False,
        patience=5,
        lr_schedule="cosine",
        restore_best=False,
        augment="auto",
        window_length="auto",
        n_windows="auto",
        trim_db="auto",
        average_weights="auto",
        random_state=None,
        n_threads=1,
        device="auto",
        on_interrupt="raise",
        verbose=0,
        callbacks=None,
        train_split=None,
        classes=None,
        warm_start=False,
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=Dataset,
        predict_nonlinearity="auto",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            momentum=momentum,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            patience=patience,
            lr_schedule=lr_schedule,
            restore_best=restore_best,
            augment=augment,
            window_length=window_length,
            n_windows=n_windows,
            trim_db=trim_db,
            average_weights=average_weights,
            random_state=random_state,
            n_threads=n_threads,
            device=device,
            on_interrupt=on_interrupt,
            verbose=verbose,
            callbacks=callbacks,
            train_split=train_split,
            classes=classes,
            warm_start=warm_start,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            predict_nonlinearity=predict_nonlinearity,
            compile=compile,
            use_caching=use_caching,
            torch_load_kwargs=torch_load_kwargs,
            **kwargs,
        )

    def _metric_callbacks(self):
        yield (
            "train_acc",
            EpochScoring(_encoded_accuracy, name="train_acc", lower_is_better=False, on_train=True),
        )
        if self._validates():
            yield (
                "valid_acc",
                EpochScoring(_encoded_accuracy, name="valid_acc", lower_is_better=False),
            )

    @property
    def classes_(self):
        if "classes_inferred_" in self.__dict__:
            return self.classes_inferred_
        if self.classes is not None and getattr(self, "initialized_", False):
            return np.asarray(self.classes)  # a net built in code, weights loaded
        raise AttributeError("classes_")

    def _prepare(self, X, y, *, reset, classes=None):
        X, y = self._check_X(X, y, reset=reset)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset:
            known = self.classes if classes is None else classes
            self.classes_inferred_ = np.unique(y if known is None else known)
            if len(self.classes_inferred_) < 2:
                source = "y has" if known is None else "classes lists"
                error = ValueError if known is None else InvalidParameterError
                raise error(
                    f"{type(self).__name__} needs at least 2 classes; {source} 1 class: "
                    f"{self.classes_inferred_.tolist()}."
                )
            self.n_outputs_ = len(self.classes_inferred_)
        unknown = np.setdiff1d(y, self.classes_)
        if len(unknown):
            source = "the first fit" if not reset else "classes"
            raise ValueError(f"y has labels {unknown.tolist()} not in {source}.")
        return X, np.searchsorted(self.classes_, y).astype(np.int64)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        X = self._check_X(X)
        with torch_threads(self.n_threads):
            if self._predicts_by_window(X):  # the mean of the windows' probabilities
                return self._by_window(X, super().predict_proba).astype(np.float32)
            return super().predict_proba(X)

    def predict(self, X):
        """Predicted labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]


class NeuralRegressor(BaseAudioNet, NeuralNetRegressor):
    __doc__ = (
        """Neural network regressor whose architecture is chosen by name.

    A skorch ``NeuralNetRegressor`` that infers the input shape and the
    number of targets at fit, casts input and targets to float32, returns
    1-D predictions for a 1-D target, and adds early stopping,
    learning-rate schedules and best weights as parameters. Targets are
    standardised for training (``standardize_target``), so that a target
    in the hundreds trains as well as one near zero; predictions are in the
    target's own units.
"""
        + _COMMON_DOC.replace(
            "torch loss class\n        The loss.",
            "torch loss class, default=MSELoss\n        The loss.",
        ).replace(
            "    random_state : int or None",
            "    standardize_target : bool, default=True\n"
            "        Train on each target minus its training mean, divided by its\n"
            "        standard deviation; the losses in ``history`` are in those units.\n"
            "    random_state : int or None",
        )
        + """
    Attributes
    ----------
    input_shape_ : tuple of int (last item None for clips of different lengths)
        Shape of one sample seen at fit; ``(n_bins, None)`` for spectra of
        different lengths.
    n_outputs_ : int
        Number of targets.
    sample_rate_ : int or None
        Sample rate of :class:`~audiosk.containers.Waveforms` input at fit
        (``None`` for other input); input at another rate is refused.
    recipe_ : {"table", "spectra", "images", "finetune"} or None
        The recipe the "auto" parameters followed.
    max_epochs_ : int
        Epochs trained per call.
    augment_ : list of Augmentation
        The augmentations applied (fresh copies of ``augment``).
    device_ : str or torch.device
        The device the net trained on.
    random_seed_ : int
        The seed of this fit (``random_state``, or the one drawn).
    random_generator_ : torch.Generator
        The generator the net draws from.
    target_mean_, target_scale_ : ndarray of shape (n_targets,)
        The standardisation of the targets (0 and 1 without ``standardize_target``).
    history : skorch History
        Per-epoch ``train_loss``, ``valid_loss``, ``train_r2``, ``valid_r2``, ``dur``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(100, 3)); y = X @ [1.0, -2.0, 0.5]
    >>> reg = NeuralRegressor(module__hidden_layer_sizes=(32,), lr=0.01, max_epochs=60,
    ...                       random_state=0).fit(X, y)
    >>> reg.predict(X).shape, reg.score(X, y) > 0.9
    ((100,), True)
    """
    )

    _stratify = False
    _parameter_constraints: dict = {
        **BaseAudioNet._parameter_constraints,
        "standardize_target": ["boolean"],
    }

    def __init__(
        self,
        module="auto",
        *,
        criterion=torch.nn.MSELoss,
        optimizer="adamw",
        lr=1e-3,
        max_epochs="auto",
        batch_size=32,
        weight_decay=1e-2,
        momentum=0.9,
        validation_fraction=None,
        early_stopping=False,
        patience=5,
        lr_schedule="cosine",
        restore_best=False,
        augment="auto",
        window_length="auto",
        n_windows="auto",
        trim_db="auto",
        average_weights="auto",
        standardize_target=True,
        random_state=None,
        n_threads=1,
        device="auto",
        on_interrupt="raise",
        verbose=0,
        callbacks=None,
        train_split=None,
        warm_start=False,
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=Dataset,
        predict_nonlinearity="auto",
        compile=False,
        use_caching="auto",
        torch_load_kwargs=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            weight_decay=weight_decay,
            momentum=momentum,
            validation_fraction=validation_fraction,
            early_stopping=early_stopping,
            patience=patience,
            lr_schedule=lr_schedule,
            restore_best=restore_best,
            augment=augment,
            window_length=window_length,
            n_windows=n_windows,
            trim_db=trim_db,
            average_weights=average_weights,
            random_state=random_state,
            n_threads=n_threads,
            device=device,
            on_interrupt=on_interrupt,
            verbose=verbose,
            callbacks=callbacks,
            train_split=train_split,
            warm_start=warm_start,
            iterator_train=iterator_train,
            iterator_valid=iterator_valid,
            dataset=dataset,
            predict_nonlinearity=predict_nonlinearity,
            compile=compile,
            use_caching=use_caching,
            torch_load_kwargs=torch_load_kwargs,
            **kwargs,
        )
        self.standardize_target = standardize_target

    def _metric_callbacks(self):
        # R2 is the same in standardised units, which the net predicts and the dataset holds
        yield (
            "train_r2",
            EpochScoring(_standardized_r2, name="train_r2", lower_is_better=False, on_train=True),
        )
        if self._validates():
            yield "valid_r2", EpochScoring(_standardized_r2, name="valid_r2", lower_is_better=False)

    def _prepare(self, X, y, *, reset, classes=None):
        X, y = self._check_X(X, y, reset=reset, multi_output=True, y_numeric=True)
        y = np.asarray(y, dtype=np.float64)
        if reset:
            self.y_ndim_ = y.ndim
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
            y2 = y.reshape(len(y), -1)
            if self.standardize_target:
                std = y2.std(axis=0)
                self.target_mean_ = y2.mean(axis=0)
                self.target_scale_ = np.where(std > 0, std, 1.0)
            else:
                self.target_mean_ = np.zeros(y2.shape[1])
                self.target_scale_ = np.ones(y2.shape[1])
        y = (y.reshape(len(y), -1) - self.target_mean_) / self.target_scale_
        return X, y.astype(np.float32)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        X = self._check_X(X)

        def outputs(X):
            return to_numpy(self.forward(X, training=False)).astype(np.float64)

        y = self._by_window(X, outputs) if self._predicts_by_window(X) else outputs(X)
        y = y * self.target_scale_ + self.target_mean_
        return y.ravel() if self.y_ndim_ == 1 else y

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available: a regressor has no probabilities (use :meth:`predict`)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
