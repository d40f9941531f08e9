"""skorch estimators whose architecture is chosen by name and sized from the data."""

from __future__ import annotations

import contextlib
import copy
import inspect

import numpy as np
import torch
from sklearn.utils._available_if import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.callbacks import Callback, EarlyStopping, EpochScoring, LRScheduler
from skorch.dataset import ValidSplit, unpack_data
from skorch.utils import is_dataset, to_numpy
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

from ..utils import DiskArray
from ._augment import Mixup, make_augmentations
from ._modules import MODULES

__all__ = ["NeuralClassifier", "NeuralRegressor"]

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

LR_SCHEDULES = {
    "step": (
        torch.optim.lr_scheduler.StepLR,
        lambda net: {"step_size": max(1, net.max_epochs // 3), "gamma": 0.1},
    ),
    "plateau": (
        torch.optim.lr_scheduler.ReduceLROnPlateau,
        lambda net: {"patience": max(1, net.patience // 2), "factor": 0.1},
    ),
    "cosine": (torch.optim.lr_scheduler.CosineAnnealingLR, lambda net: {"T_max": net.max_epochs}),
}


class RestoreBestWeights(Callback):
    """Keep the weights of the epoch with the lowest ``monitor`` and load them at the end.

    Parameters
    ----------
    monitor : str, default="valid_loss"
        History key to minimise.
    """

    def __init__(self, monitor="valid_loss"):
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


class _DiskDataset(torch.utils.data.Dataset):
    """Batches of a :class:`~audiosk.utils.DiskArray`, read from the file when fetched."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = None if y is None else np.asarray(y)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        single = np.isscalar(index)
        index = np.atleast_1d(index)
        Xb = torch.from_numpy(self.X.read(index).astype(np.float32, copy=False))
        yb = torch.zeros(len(index)) if self.y is None else torch.as_tensor(self.y[index])
        return (Xb[0], yb[0]) if single else (Xb, yb)


def _encoded_accuracy(net, X, y):
    """Accuracy of the argmax against the encoded labels the net trains on."""
    y_true = np.asarray(y if not torch.is_tensor(y) else y.cpu().numpy()).ravel()
    return float(np.mean(net.predict_proba(X).argmax(axis=1) == y_true))


class _AudioNetMixin:
    """What both estimators share: names, inferred sizes, seeding, callbacks."""

    def _init_common(
        self,
        validation_fraction,
        early_stopping,
        patience,
        lr_schedule,
        restore_best,
        weight_decay,
        momentum,
        random_state,
        augment,
    ):
        self.augment = augment
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.restore_best = restore_best
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.random_state = random_state

    # -- device="auto": skorch reads self.device everywhere, get_params must return "auto"
    @property
    def device(self):
        requested = self.__dict__.get("device_request_", "cpu")
        if requested == "auto":
            return "cuda" if torch.cuda.is_available() else "cpu"
        return requested

    @device.setter
    def device(self, value):
        self.__dict__["device_request_"] = value

    def _get_param_names(self):
        # skorch takes every attribute without a trailing underscore as a parameter;
        # its private bookkeeping ("_params_to_validate", ...) is not one.
        names = {n for n in super()._get_param_names() if not n.startswith("_")}
        return sorted(names | {"device"})

    def get_params(self, deep=True, **kwargs):
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("device_request_", "cpu")
        return params

    # -- architecture and optimiser by name, sizes from the data
    def _module_class(self):
        if isinstance(self.module, str):
            try:
                return MODULES[self.module.lower()]
            except KeyError:
                raise ValueError(
                    f"Unknown architecture {self.module!r}; choose among {sorted(MODULES)} "
                    "or pass a torch.nn.Module class."
                ) from None
        return self.module

    def initialize_module(self):
        kwargs = self.get_params_for("module")
        module = self._module_class()
        if isinstance(module, torch.nn.Module):
            self.module_ = self.initialized_instance(module, kwargs)
            return self
        accepted = inspect.signature(module).parameters
        for name, value in (
            ("input_shape", getattr(self, "input_shape_", None)),
            ("n_outputs", getattr(self, "n_outputs_", None)),
        ):
            if value is not None and name in accepted and name not in kwargs:
                kwargs[name] = value
        self.module_ = module(**kwargs)
        return self

    def initialize_optimizer(self, *args, **kwargs):
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            try:
                optimizer = OPTIMIZERS[optimizer.lower()]
            except KeyError:
                raise ValueError(
                    f"Unknown optimizer {self.optimizer!r}; choose among {sorted(OPTIMIZERS)}."
                ) from None
        named_parameters = self.get_all_learnable_params()
        args, opt_kwargs = self.get_params_for_optimizer("optimizer", named_parameters)
        accepted = inspect.signature(optimizer).parameters
        if "weight_decay" in accepted:
            opt_kwargs.setdefault("weight_decay", self.weight_decay)
        if "momentum" in accepted and optimizer is not torch.optim.RMSprop:
            opt_kwargs.setdefault("momentum", self.momentum)
        self.optimizer_ = optimizer(*args, **opt_kwargs)
        return self

    # -- validation split, callbacks
    def _validates(self):
        return self.train_split is not None or bool(self.validation_fraction)

    def get_split_datasets(self, X, y=None, **fit_params):
        if self.train_split is not None:
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        if not self.validation_fraction:
            return dataset, None
        split = ValidSplit(
            self.validation_fraction, stratified=self._stratify, random_state=self.random_state
        )
        return split(dataset, y, **fit_params)

    def get_default_callbacks(self):
        # skorch's valid_acc scores predict() against the encoded labels; ours compares codes
        defaults = [(n, cb) for n, cb in super().get_default_callbacks() if n != "valid_acc"]
        monitor = "valid_loss" if self._validates() else "train_loss"
        extra = list(self._metric_callbacks())
        if self.early_stopping:
            extra.append(
                (
                    "early_stopping",
                    EarlyStopping(monitor=monitor, patience=self.patience, load_best=True),
                )
            )
        elif self.restore_best:
            extra.append(("restore_best", RestoreBestWeights(monitor=monitor)))
        if self.lr_schedule is not None:
            extra.append(("lr_scheduler", self._scheduler(monitor)))
        return defaults + extra  # skorch runs PrintLog last

    def _scheduler(self, monitor):
        spec = self.lr_schedule
        policy, kwargs = spec if isinstance(spec, tuple) else (spec, {})
        if isinstance(policy, str):
            if policy not in LR_SCHEDULES:
                raise ValueError(
                    f"Unknown lr_schedule {policy!r}; choose among {sorted(LR_SCHEDULES)}."
                )
            policy, default_kwargs = LR_SCHEDULES[policy][0], LR_SCHEDULES[policy][1](self)
            kwargs = {**default_kwargs, **kwargs}
        if policy is torch.optim.lr_scheduler.ReduceLROnPlateau:
            kwargs = {"monitor": monitor, **kwargs}
        return LRScheduler(policy=policy, **kwargs)

    # -- data
    def get_iterator(self, dataset, training=False):
        """Mini-batches fetched with one indexing call each (not one per sample).

        Training batches are shuffled unless ``iterator_train__shuffle=False``.
        A custom iterator, sampler or collate function falls back on skorch's.
        """
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        if iterator is not DataLoader or {"sampler", "batch_sampler", "collate_fn"} & set(kwargs):
            return super().get_iterator(dataset, training=training)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        batch_size = len(dataset) if batch_size == -1 else batch_size
        shuffle = kwargs.pop("shuffle", training)
        order = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        batches = BatchSampler(order, batch_size, drop_last=kwargs.pop("drop_last", False))
        # batch_size=None: each sampled list of indices is one dataset access
        return DataLoader(dataset, sampler=batches, batch_size=None, **kwargs)

    def get_dataset(self, dataset, y=None):
        if isinstance(dataset, DiskArray):
            return _DiskDataset(dataset, y)
        return super().get_dataset(dataset, y)

    def _check_X(self, X, y=None, *, reset=False, **kwargs):
        """float32 arrays of any rank; skorch datasets, tensors and DiskArrays pass as they are."""
        if reset and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if not reset:
            check_is_fitted(self, "module_")
        if isinstance(X, DiskArray):  # read batch by batch, never as a whole
            if X.ndim < 2:
                raise ValueError(f"Expected rows of at least 1 dimension; got shape {X.shape}.")
            if reset:
                self.n_features_in_ = X.shape[1]
            elif X.shape[1] != self.n_features_in_:
                raise ValueError(
                    f"X has {X.shape[1]} features, but {type(self).__name__} is expecting "
                    f"{self.n_features_in_} features as input."
                )
            if y is None:
                return X
            y = np.asarray(y)
            if len(y) != len(X):
                raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
            return X, y
        if is_dataset(X) or torch.is_tensor(X):
            return X if y is None else (X, y)
        return validate_data(
            self,
            X,
            y="no_validation" if y is None else y,
            reset=reset,
            allow_nd=True,
            dtype=np.float32,
            **kwargs,
        )

    def infer(self, x, **fit_params):
        if torch.is_tensor(x) and x.dtype == torch.float64:
            x = x.float()
        return super().infer(x, **fit_params)

    def __getstate__(self):
        state = super().__getstate__()
        state["device"] = self.device
        return state

    def __setstate__(self, state):
        request = state.get("device_request_", "cpu")
        super().__setstate__(state)
        checked = self.__dict__.pop("device")  # skorch moved CUDA weights to an available device
        self.__dict__["device_request_"] = "auto" if request == "auto" else checked

    def _seeded(self):
        if self.random_state is None:
            return contextlib.nullcontext()
        devices = list(range(torch.cuda.device_count())) if self.device.startswith("cuda") else []
        ctx = torch.random.fork_rng(devices=devices)

        @contextlib.contextmanager
        def seeded():
            with ctx:
                torch.manual_seed(self.random_state)
                yield

        return seeded()

    def _fit_with(self, X, y, *, partial=False, **fit_params):
        self.augmentations_ = make_augmentations(self.augment)
        seed = (
            self.random_state
            if self.random_state is not None
            else int(np.random.SeedSequence().entropy % 2**63)
        )
        self.augment_generator_ = torch.Generator().manual_seed(seed)
        initialized = getattr(self, "initialized_", False)
        with self._seeded():
            if not initialized or not (self.warm_start or partial):
                self.input_shape_ = tuple(X.shape[1:])
                self.initialize()
            super().partial_fit(X, y, **fit_params)  # skorch's training loop
        return self

    def fit(self, X, y, **fit_params):
        """Fit the network (re-initialised unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Features ``(n, n_features)``, spectra ``(n, bins, frames)`` or
            images ``(n, C, H, W)``; cast to float32.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels of any type, or regression targets.
        **fit_params
            Passed to skorch's ``fit``.

        Returns
        -------
        self
        """
        first = not self.warm_start or not getattr(self, "initialized_", False)
        X, y = self._prepare(X, y, reset=first)
        return self._fit_with(X, y, **fit_params)

    def partial_fit(self, X, y, classes=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        X, y
            As in :meth:`fit`.
        classes : ignored
            Classes are taken from the first call's ``y``.
        **fit_params
            Passed to skorch's ``partial_fit``.

        Returns
        -------
        self
        """
        first = not getattr(self, "initialized_", False)
        X, y = self._prepare(X, y, reset=first)
        return self._fit_with(X, y, partial=True, **fit_params)

    def train_step_single(self, batch, **fit_params):
        """One training step; the ``augment`` transformations apply to the batch here only."""
        augmentations = getattr(self, "augmentations_", [])
        if not augmentations:
            return super().train_step_single(batch, **fit_params)
        self._set_training(True)
        Xi, yi = unpack_data(batch)
        mixed = None
        for augmentation in augmentations:
            if isinstance(augmentation, Mixup):
                Xi, perm, lam = augmentation.mix(Xi, self.augment_generator_)
                mixed = perm, lam
            else:
                Xi = augmentation(Xi, self.augment_generator_)
        y_pred = self.infer(Xi, **fit_params)
        loss = self.get_loss(y_pred, yi, X=Xi, training=True)
        if mixed is not None:
            perm, lam = mixed
            loss = lam * loss + (1 - lam) * self.get_loss(y_pred, yi[perm], X=Xi, training=True)
        loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


_COMMON_DOC = """
    Parameters
    ----------
    module : str or torch.nn.Module class, default="mlp"
        The architecture by name ("mlp", "cnn", "resnet18", "resnet34",
        "resnet50", "googlenet"): :class:`~audiosk.nets.MLP`, :class:`~audiosk.nets.CNN`,
        :class:`~audiosk.nets.ResNet`, :class:`~audiosk.nets.GoogLeNet` (pretrained
        weights with ``module__weights=PATH``, fine-tuning of the last stages with
        ``module__trainable_layers=n``), or any module class. ``input_shape`` (one sample's shape) and
        ``n_outputs`` are inferred at fit and passed when the class accepts
        them; its other arguments are set as ``module__<name>``.
    criterion : torch loss class
        The loss.
    optimizer : {"adam", "adamw", "sgd", "rmsprop"} or torch optimizer class, default="adam"
        Optimiser; further arguments as ``optimizer__<name>``.
    lr : float, default=1e-3
        Learning rate.
    max_epochs : int, default=20
        Training epochs.
    batch_size : int, default=32
        Mini-batch size; training batches are reshuffled every epoch
        (``iterator_train__shuffle=False`` keeps the order).
    weight_decay : float, default=0.0
        L2 penalty passed to the optimiser.
    momentum : float, default=0.9
        Momentum for "sgd".
    validation_fraction : float or None, default=0.2
        Share of the training data held out (stratified for classifiers) to
        report validation loss and metric each epoch and to drive early
        stopping, ``restore_best`` and the plateau schedule. ``None`` trains
        on everything. A skorch ``train_split`` given instead takes precedence.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience``
        epochs and restore the best weights.
    patience : int, default=5
        Epochs without improvement before stopping.
    lr_schedule : {"step", "plateau", "cosine"}, scheduler class, (name or class, dict) or None, default=None
        Learning-rate schedule. "step" divides the rate by 10 every
        ``max_epochs // 3`` epochs; ``("step", {"step_size": 45})`` divides
        it after 45 epochs; "plateau" when the validation loss stalls;
        "cosine" anneals over ``max_epochs``.
    restore_best : bool, default=False
        Load the weights of the epoch with the lowest validation loss when
        training ends (best checkpoint, kept in memory).
    augment : str, augmentation object, list of them, or None, default=None
        Training-time augmentation of each mini-batch (never at prediction):
        "specaugment" (:class:`SpecAugment`), "warp" (:class:`FrequencyWarp`),
        "stretch" (:class:`TimeStretch`), "noise" (:class:`AddNoise`),
        "shift" (:class:`TimeShift`), "mixup" (:class:`Mixup`), or
        configured objects such as ``SpecAugment(time_width=30)``; seeded by
        ``random_state``.
    random_state : int or None, default=None
        Seed of the weight initialisation, batch order, dropout and
        validation split: equal seeds give identical models on CPU.
    device : "auto", "cpu", "cuda" or torch.device, default="auto"
        "auto" uses CUDA when available.
    verbose : int, default=0
        ``1`` prints a table row per epoch.
    callbacks : list of skorch callbacks or None, default=None
        Extra callbacks.
    **kwargs
        Any other skorch ``NeuralNet`` argument, and routed parameters
        (``module__``, ``optimizer__``, ``callbacks__``, ...).
"""


class NeuralClassifier(_AudioNetMixin, NeuralNetClassifier):
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
    input_shape_ : tuple of int
        Shape of one sample seen at fit.
    n_outputs_ : int
        Number of classes.
    history : skorch History
        Per-epoch ``train_loss``, ``valid_loss``, ``train_acc``, ``valid_acc``, ``dur``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets import NeuralClassifier
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(60, 5)); y = np.where(X[:, 0] > 0, "yes", "no")
    >>> clf = NeuralClassifier("mlp", module__hidden_layer_sizes=(16,), lr=0.01,
    ...                        max_epochs=30, random_state=0).fit(X, y)
    >>> clf.classes_.tolist(), clf.score(X, y) > 0.9
    (['no', 'yes'], True)
    """
    )

    _stratify = True

    def __init__(
        self,
        module="mlp",
        *,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer="adam",
        lr=1e-3,
        max_epochs=20,
        batch_size=32,
        weight_decay=0.0,
        momentum=0.9,
        validation_fraction=0.2,
        early_stopping=False,
        patience=5,
        lr_schedule=None,
        restore_best=False,
        augment=None,
        random_state=None,
        device="auto",
        verbose=0,
        callbacks=None,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            device=device,
            verbose=verbose,
            callbacks=callbacks,
            train_split=train_split,
            **kwargs,
        )
        self._init_common(
            validation_fraction,
            early_stopping,
            patience,
            lr_schedule,
            restore_best,
            weight_decay,
            momentum,
            random_state,
            augment,
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

    def check_data(self, X, y):
        """Labels are encoded in :meth:`fit`; nothing to infer here."""

    @property
    def classes_(self):
        return self.classes_inferred_

    def _prepare(self, X, y, *, reset):
        X, y = self._check_X(X, y, reset=reset)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if reset and len(np.unique(y)) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 classes; y has 1 class.")
        if reset:
            self.classes_inferred_, y_encoded = np.unique(y, return_inverse=True)
            self.n_outputs_ = len(self.classes_inferred_)
        else:
            unknown = np.setdiff1d(y, self.classes_)
            if len(unknown):
                raise ValueError(f"y has labels {unknown.tolist()} not seen in the first fit.")
            y_encoded = np.searchsorted(self.classes_, y)
        return X, y_encoded.astype(np.int64)

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        return super().predict_proba(self._check_X(X))

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


class NeuralRegressor(_AudioNetMixin, NeuralNetRegressor):
    __doc__ = (
        """Neural network regressor whose architecture is chosen by name.

    A skorch ``NeuralNetRegressor`` that infers the input shape and the
    number of targets at fit, casts input and targets to float32, returns
    1-D predictions for a 1-D target, and adds early stopping,
    learning-rate schedules and best weights as parameters.
"""
        + _COMMON_DOC.replace(
            "torch loss class\n        The loss.",
            "torch loss class, default=MSELoss\n        The loss.",
        )
        + """
    Attributes
    ----------
    input_shape_ : tuple of int
        Shape of one sample seen at fit.
    n_outputs_ : int
        Number of targets.
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

    def __init__(
        self,
        module="mlp",
        *,
        criterion=torch.nn.MSELoss,
        optimizer="adam",
        lr=1e-3,
        max_epochs=20,
        batch_size=32,
        weight_decay=0.0,
        momentum=0.9,
        validation_fraction=0.2,
        early_stopping=False,
        patience=5,
        lr_schedule=None,
        restore_best=False,
        augment=None,
        random_state=None,
        device="auto",
        verbose=0,
        callbacks=None,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module,
            criterion=criterion,
            optimizer=optimizer,
            lr=lr,
            max_epochs=max_epochs,
            batch_size=batch_size,
            device=device,
            verbose=verbose,
            callbacks=callbacks,
            train_split=train_split,
            **kwargs,
        )
        self._init_common(
            validation_fraction,
            early_stopping,
            patience,
            lr_schedule,
            restore_best,
            weight_decay,
            momentum,
            random_state,
            augment,
        )

    def _metric_callbacks(self):
        yield "train_r2", EpochScoring("r2", name="train_r2", lower_is_better=False, on_train=True)
        if self._validates():
            yield "valid_r2", EpochScoring("r2", name="valid_r2", lower_is_better=False)

    def _prepare(self, X, y, *, reset):
        X, y = self._check_X(X, y, reset=reset, multi_output=True, y_numeric=True)
        y = y.astype(np.float32, copy=False)
        if reset:
            self.y_ndim_ = y.ndim
            self.n_outputs_ = 1 if y.ndim == 1 else y.shape[1]
        return X, y.reshape(len(y), -1)

    def predict(self, X):
        """Predicted targets.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        """
        y = to_numpy(self.forward(self._check_X(X), training=False)).astype(np.float64)
        return y.ravel() if self.y_ndim_ == 1 else y

    @available_if(lambda self: False)
    def predict_proba(self, X):
        """Not available: a regressor has no probabilities (use :meth:`predict`)."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
