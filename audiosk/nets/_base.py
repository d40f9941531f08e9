"""The base of both neural estimators: declared parameters, the recipe, seeding and threads.

:class:`BaseAudioNet` is the abstract base of
:class:`~audiosk.nets.NeuralClassifier` and :class:`~audiosk.nets.NeuralRegressor`,
placed in front of skorch's nets. Its parameters are declared in
``_parameter_constraints`` and checked before any training; every ``"auto"``
(module, max_epochs, augment, device) is resolved at fit into fitted
attributes, so fit and predict never assign a parameter. Randomness comes from
a generator the estimator owns; torch's thread count is set only around the
work that needs it. Behaviour lives in skorch callbacks where skorch has a
hook; every skorch method overridden here is listed, with its reason, in
:data:`SKORCH_OVERRIDES` (a test pins the set).
"""

# Past 600 lines because the parameters, their checks and the training entry points live in the one
# class in front of skorch's, each skorch override documented for numpydoc; the rest is in mixins
# beside what they use: what "auto" means (``_recipes``), datasets, batches and windows
# (``_crops``), input checks and validation data (``_data``), randomness (``_runtime``).

from __future__ import annotations

import inspect
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator
from skorch import dataset as skorch_dataset
from skorch.callbacks import EpochTimer, PassthroughScoring, PrintLog
from skorch.dataset import unpack_data
from torch.utils.data import DataLoader

from ..utils._dsp import auto_device
from ..utils._sklearn_compat import (
    Interval,
    IntInterval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
)
from ._augment import Augmentation
from ._callbacks import AverageWeights, BestWeights, RefreshBatchNorm, Schedule
from ._crops import WindowsMixin
from ._data import (
    DataChecks,
    RaggedClips,
)
from ._modules import MODULES
from ._recipes import (
    AUGMENTATIONS,
    LR_SCHEDULES,
    OPTIMIZERS,
    RecipeMixin,
)
from ._runtime import RandomMixin, torch_threads

#: Every skorch method (or property) the neural estimators override, with the reason; the one
#: place they are listed (tests/test_nets_surface.py fails when the set changes without it).
SKORCH_OVERRIDES = {
    "__init__": "audiosk's parameters declared beside skorch's, with defaults (get_params, repr)",
    "__repr__": "scikit-learn's repr: the parameters a user set, not skorch's module dump",
    "__setstate__": "a pickled net maps its weights to the device 'auto' means where it loads",
    "_get_param_names": "parameters are attributes to skorch: leave out private bookkeeping",
    "get_params": "device stays as given ('auto'); the device attribute is the concrete one",
    "set_params": "augment__<name> reaches the augmentation; new callbacks wait for the next fit",
    "_default_callbacks": "the callbacks the parameters name: metrics, best weights, schedule",
    "initialize": "parameters checked, 'auto' resolved, the net's generator seeded",
    "initialize_module": "the module by name, given input_shape, n_outputs and sr from the data",
    "initialize_optimizer": "optimisers by name; weight_decay and momentum are parameters",
    "check_data": "clips shorter than the module reads are refused (fit checked X and y)",
    "fit": "X and y checked, labels encoded, shapes inferred, then skorch's fit",
    "partial_fit": "the same before skorch's partial_fit; classes for a first call",
    "fit_loop": "max_epochs_ resolved from 'auto'; a Ctrl-C stops the caller (on_interrupt)",
    "notify": "an early stop raised by a callback is told from a Ctrl-C",
    "get_split_datasets": "data held out only when asked for, stratified, never across groups",
    "get_iterator": "batches fetched in one indexing call, shuffled by the net's generator",
    "get_dataset": "datasets for DiskArray, clips of different lengths and plain arrays",
    "infer": "padded clips of different lengths pass their lengths; float64 cast to float32",
    "train_step_single": "augmentations and mixed targets, drawn from the net's generator",
    "forward": "torch runs on n_threads threads",
    "load_params": "torch runs on n_threads threads; the device parameter stays as given",
    "predict": "input checked (rate, shape); labels of classes_, targets in their own units",
    "predict_proba": "input checked, on n_threads threads; a regressor has none",
    "classes_": "the labels seen at fit",
}


class BaseAudioNet(RecipeMixin, WindowsMixin, DataChecks, RandomMixin, metaclass=ABCMeta):
    """Abstract base of the neural estimators (placed in front of a skorch net).

    Parameters are documented on :class:`~audiosk.nets.NeuralClassifier`.
    """

    _parameter_constraints: dict = {
        "module": [StrOptions({"auto", *MODULES}), callable],
        "criterion": [callable],
        "optimizer": [StrOptions(set(OPTIMIZERS)), callable],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "max_epochs": [StrOptions({"auto"}), IntInterval(1, None, closed="left")],
        "batch_size": [IntInterval(1, None, closed="left"), Options(Integral, {-1})],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "momentum": [Interval(Real, 0, None, closed="left")],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither"), None],
        "early_stopping": ["boolean"],
        "patience": [IntInterval(1, None, closed="left")],
        "lr_schedule": [StrOptions(set(LR_SCHEDULES)), type, tuple, None],
        "restore_best": ["boolean"],
        "augment": [StrOptions({"auto", *AUGMENTATIONS}), Augmentation, list, tuple, None],
        "window_length": [StrOptions({"auto"}), IntInterval(1, None, closed="left"), None],
        "n_windows": [StrOptions({"auto"}), IntInterval(1, None, closed="left")],
        "trim_db": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither"), None],
        "average_weights": [StrOptions({"auto", "ema", "swa"}), None],
        "random_state": ["random_state"],
        "n_threads": [IntInterval(1, None, closed="left"), Options(Integral, {-1}), None],
        "device": [str, torch.device],
        "on_interrupt": [StrOptions({"raise", "stop"})],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, StrOptions({"disable"}), None],
        "train_split": [callable, None],
        "warm_start": ["boolean"],
        "iterator_train": [callable],
        "iterator_valid": [callable],
        "dataset": [callable],
        "predict_nonlinearity": [StrOptions({"auto"}), callable, None],
        "compile": ["boolean"],
        "use_caching": [StrOptions({"auto"}), "boolean"],
        "torch_load_kwargs": [dict, None],
    }

    def __init__(
        self,
        module="auto",
        *,
        criterion,
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
        warm_start=False,
        iterator_train=DataLoader,
        iterator_valid=DataLoader,
        dataset=skorch_dataset.Dataset,
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
            device=device,
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
        self.weight_decay = weight_decay
        self.momentum = momentum
        self.validation_fraction = validation_fraction
        self.early_stopping = early_stopping
        self.patience = patience
        self.lr_schedule = lr_schedule
        self.restore_best = restore_best
        self.augment = augment
        self.window_length = window_length
        self.n_windows = n_windows
        self.trim_db = trim_db
        self.average_weights = average_weights
        self.random_state = random_state
        self.n_threads = n_threads
        self.on_interrupt = on_interrupt

    # -- parameters: declared, checked before training, never assigned by fit
    @property
    def device(self):
        """The device skorch places tensors on: the ``device`` parameter, "auto" resolved.

        ``get_params()["device"]`` returns the parameter as given ("auto"
        stays "auto"); reading the attribute gives the concrete device.
        """
        value = self.__dict__.get("device", "auto")
        return auto_device() if isinstance(value, str) and value == "auto" else value

    @device.setter
    def device(self, value):
        self.__dict__["device"] = value

    def _get_param_names(self):
        # skorch takes every attribute without a trailing underscore as a parameter; its
        # private bookkeeping ("_params_to_validate", ...) is not one, nor a method it
        # replaces on the instance while scoring ("forward_iter"). A copy of the names:
        # another thread may read the parameters while fit adds fitted attributes.
        return sorted(
            n
            for n in list(vars(self))
            if not n.endswith("_")
            and n[0] != "_"
            and not inspect.isfunction(getattr(type(self), n, None))
        )

    def get_params(self, deep=True, **kwargs):
        """Get the parameters, ``device`` as given ("auto" stays "auto").

        Parameters
        ----------
        deep : bool, default=True
            Include the parameters of the callbacks, the module and the
            augmentations (``<name>__<parameter>``).
        **kwargs
            Passed to skorch's ``get_params``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        params = super().get_params(deep=deep, **kwargs)
        params["device"] = self.__dict__.get("device", "auto")
        return params

    def __repr__(self, N_CHAR_MAX=700):
        return BaseEstimator.__repr__(self, N_CHAR_MAX)

    def set_params(self, **params):
        """Set parameters; ``augment__<name>`` reaches the augmentation object.

        A new ``callbacks`` list takes effect at the next fit (or
        ``initialize``), as every other parameter does.

        Parameters
        ----------
        **params
            Parameter names (routed ones too: ``module__<name>``,
            ``augment__<name>``, ``callbacks__<name>``) mapped to values.

        Returns
        -------
        self : object
            The net.
        """
        augment = {
            k[len("augment__") :]: params.pop(k) for k in list(params) if k.startswith("augment__")
        }
        if "callbacks" in params and not any(k.startswith("callbacks__") for k in params):
            self.__dict__["callbacks"] = params.pop("callbacks")
        if params:
            super().set_params(**params)
        if augment:
            target = params.get("augment", self.augment)
            if not isinstance(target, Augmentation):
                raise InvalidParameterError(
                    f"augment__{next(iter(augment))} needs augment to be one augmentation object "
                    f"(such as Mixup()); augment is {target!r}."
                )
            target.set_params(**augment)
        return self

    def _check_params(self):
        """Check every declared parameter (scikit-learn's constraints), before any training."""
        name = type(self).__name__
        validate_parameter_constraints(
            self._parameter_constraints, self.get_params(deep=False), caller_name=name
        )
        if self.average_weights in ("ema", "swa") and (self.early_stopping or self.restore_best):
            raise InvalidParameterError(
                f"{name} was asked to average its weights (average_weights="
                f"{self.average_weights!r}) and to keep its best epoch's (early_stopping or "
                "restore_best): choose one."
            )
        if self.train_split is not None and self.validation_fraction is not None:
            raise InvalidParameterError(
                f"{name} was given both train_split and validation_fraction="
                f"{self.validation_fraction}, two ways of holding out validation data. Give "
                "one: validation_fraction (stratified, keeping groups on one side) or a skorch "
                "train_split."
            )
        spec = self.lr_schedule
        if isinstance(spec, tuple) and not (
            len(spec) == 2
            and (spec[0] in LR_SCHEDULES or isinstance(spec[0], type))
            and isinstance(spec[1], dict)
        ):
            raise InvalidParameterError(
                f"The 'lr_schedule' parameter of {name} given as a tuple must be (name or "
                f"scheduler class, dict of its arguments) with a name among "
                f"{sorted(LR_SCHEDULES)}; got {spec!r}."
            )

    def initialize(self):
        """Check the parameters, resolve "auto" and build the module, optimiser and callbacks.

        Returns
        -------
        self : object
            The initialised net.
        """
        self._check_params()
        self._resolve()
        if not hasattr(self, "random_generator_"):
            self._seed()
        with torch_threads(self.n_threads), self._global_rng():
            return super().initialize()

    def initialize_module(self):
        """Build the module: by name or class, with the shapes and rate inferred at fit.

        Returns
        -------
        self : object
            The net, with ``module_``.
        """
        kwargs = self.get_params_for("module")
        module = self._module_class()
        if isinstance(module, torch.nn.Module):
            self.module_ = self.initialized_instance(module, kwargs)
            return self
        accepted = inspect.signature(module).parameters
        rate = getattr(self, "sample_rate_", None)
        if "sr" in accepted and "sr" not in kwargs and rate is None:
            raise ValueError(
                f"{type(self).__name__}: the module {self.module!r} reads waveforms and needs "
                "their sample rate, which X does not carry (a plain array). Load the audio with "
                "audiosk.io.AudioLoader (its output carries the rate) or pass module__sr=<Hz>."
            )
        for name, value in self._recipe_module_kwargs.items():
            kwargs.setdefault(name, value)
        for name, value in (
            ("input_shape", self._module_input_shape()),
            ("n_outputs", getattr(self, "n_outputs_", None)),
            ("sr", rate),
        ):
            if value is not None and name in accepted and name not in kwargs:
                kwargs[name] = value
        self.module_ = module(**kwargs)
        return self

    def initialize_optimizer(self, *args, **kwargs):
        """Build the optimiser (by name or class) with ``weight_decay`` and ``momentum``.

        Parameters
        ----------
        *args, **kwargs
            Ignored (skorch's signature).

        Returns
        -------
        self : object
            The net, with ``optimizer_``.
        """
        optimizer = self.optimizer
        if isinstance(optimizer, str):
            optimizer = OPTIMIZERS[optimizer]
        named_parameters = self.get_all_learnable_params()
        args, opt_kwargs = self.get_params_for_optimizer("optimizer", named_parameters)
        accepted = inspect.signature(optimizer).parameters
        if "weight_decay" in accepted:
            opt_kwargs.setdefault("weight_decay", self.weight_decay)
        if "momentum" in accepted and optimizer is not torch.optim.RMSprop:
            opt_kwargs.setdefault("momentum", self.momentum)
        self.optimizer_ = optimizer(*args, **opt_kwargs)
        return self

    # -- callbacks: skorch's, named and configured by the parameters
    @property
    def _default_callbacks(self):
        # read by skorch's get_params too: the list is the same whatever the parameters hold,
        # and each callback reads the (then checked) parameters when training begins
        return [
            ("epoch_timer", EpochTimer()),
            ("train_loss", PassthroughScoring(name="train_loss", on_train=True)),
            ("valid_loss", PassthroughScoring(name="valid_loss")),
            *self._metric_callbacks(),
            ("best_weights", BestWeights()),
            ("average_weights", AverageWeights()),
            ("lr_scheduler", Schedule()),
            ("refresh_batch_norm", RefreshBatchNorm()),
            ("print_log", PrintLog()),
        ]

    @abstractmethod
    def _metric_callbacks(self):
        """Yield the (name, callback) pairs of the task's metrics."""

    @abstractmethod
    def _prepare(self, X, y, *, reset, classes=None):
        """Check X and encode y for training."""

    def notify(self, method_name, **cb_kwargs):
        """Call ``method_name`` of every callback; tell an early stop from a Ctrl-C.

        Parameters
        ----------
        method_name : str
            The callback hook ("on_epoch_end", ...).
        **cb_kwargs
            Passed to the hook.
        """
        try:
            super().notify(method_name, **cb_kwargs)
        except KeyboardInterrupt:
            # skorch's convention: a callback ends training (EarlyStopping) by raising
            # KeyboardInterrupt at the end of an epoch; that is a stop, not a Ctrl-C
            self._stopped_by_callback = method_name == "on_epoch_end"
            raise

    def load_params(self, *args, **kwargs):
        """Load weights saved with ``save_params`` (``torch.load(weights_only=True)``).

        Parameters
        ----------
        *args, **kwargs
            The arguments of skorch's ``load_params`` (``f_params=PATH``, ...).
        """
        requested = self.__dict__.get("device", "auto")
        with torch_threads(self.n_threads):
            super().load_params(*args, **kwargs)
        if self.__dict__.get("device") == self.device_:  # skorch re-assigns the device it used
            self.__dict__["device"] = requested

    def __setstate__(self, state):
        # skorch maps the pickled weights to state["device"]: give it the device "auto" means here
        requested = state.get("device")
        if isinstance(requested, str) and requested == "auto":
            state = {**state, "device": auto_device()}
        super().__setstate__(state)
        if "module_" in state:
            self.device_ = self.__dict__["device"]
        if isinstance(requested, str) and requested == "auto":
            self.__dict__["device"] = "auto"

    # -- training
    def _fit_with(self, X, y, *, groups=None, partial=False, **fit_params):
        if len(X) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to train; got n_samples={len(X)}."
            )
        fresh = not getattr(self, "initialized_", False) or not (self.warm_start or partial)
        if fresh:
            ragged = isinstance(X, RaggedClips)  # the last axis varies from clip to clip
            self.input_shape_ = (*X[0].shape[:-1], None) if ragged else tuple(X.shape[1:])
            self._resolve_window(X)
            self._check_lengths_read(X)
            self._seed()
        self._train_size = len(X)  # the epochs of a recipe may follow it
        # the groups serve the validation split of this call only; a fitted net keeps none
        self._groups = None if groups is None else np.asarray(groups)
        self._interrupted = self._stopped_by_callback = False
        try:
            with torch_threads(self.n_threads):
                if not fresh:  # a warm start: epochs and augmentations follow the parameters
                    self._resolve()
                # skorch's own entry points: fit initialises (unless warm) and trains with
                # metadata routed for "fit"; partial_fit initialises only a new net
                train = super().partial_fit if partial else super().fit
                train(X, y, **fit_params)
        finally:
            self._groups = None
        if self._interrupted:
            raise KeyboardInterrupt(
                f"{type(self).__name__} was interrupted during fit (on_interrupt='raise')."
            )
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Run skorch's training loop for ``max_epochs_`` epochs; a Ctrl-C stops the caller too.

        skorch ends training on KeyboardInterrupt and returns; with
        ``on_interrupt="raise"`` (the default) a Ctrl-C is raised again once
        the callbacks' ``on_train_end`` has run, so a search or a
        cross-validation stops as well. An early stop asked for by a
        callback (skorch's convention is the same exception) is not an
        interruption.

        Parameters
        ----------
        X : array-like or RaggedClips
            The training input, checked by ``fit``.
        y : array-like or None, default=None
            Its encoded targets.
        epochs : int or None, default=None
            Epochs to train (``max_epochs_`` when None).
        **fit_params
            Passed to skorch's loop.

        Returns
        -------
        self : object
            The trained net.
        """
        epochs = self.max_epochs_ if epochs is None else epochs
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        except KeyboardInterrupt:
            stopped = getattr(self, "_stopped_by_callback", False)
            self._interrupted = not stopped and self.on_interrupt == "raise"
            raise

    def fit(self, X, y, groups=None, **fit_params):
        """Fit the network (re-initialised unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Features ``(n, n_features)``, spectra ``(n, bins, frames)``,
            images ``(n, C, H, W)`` or waveforms ``(n, n_samples)``; cast to
            float32 (signed 8-, 16- and 32-bit integers are PCM, scaled to [-1, 1)).
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            Class labels of any type, or regression targets.
        groups : array-like of shape (n_samples,) or None, default=None
            Group of each sample (speaker, track). Used only when validation
            data is held out: no group is then on both sides of the split.
            In a pipeline pass ``<step>__groups=``, or request it with
            ``set_fit_request(groups=True)`` under metadata routing.
        **fit_params
            Passed to skorch's ``fit``.

        Returns
        -------
        self : object
            The fitted net.
        """
        self._check_params()
        self._warn_carried_groups(X, groups)
        first = not self.warm_start or not getattr(self, "initialized_", False)
        X, y = self._prepare(X, y, reset=first)
        return self._fit_with(X, y, groups=groups, **fit_params)

    def partial_fit(self, X, y, classes=None, groups=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            As in :meth:`fit`.
        y : array-like of shape (n_samples,) or (n_samples, n_targets)
            As in :meth:`fit`.
        classes : array-like or None, default=None
            All the labels, for a classifier's first call when its ``y``
            does not show them all; ignored afterwards and by regressors.
        groups : array-like of shape (n_samples,) or None, default=None
            As in :meth:`fit`.
        **fit_params
            Passed to skorch's ``partial_fit``.

        Returns
        -------
        self : object
            The trained net.
        """
        if "_routing_method" in fit_params:  # skorch's fit goes on here, X and y checked
            return super().partial_fit(X, y, **fit_params)
        self._check_params()
        self._warn_carried_groups(X, groups)
        first = not getattr(self, "initialized_", False)
        X, y = self._prepare(X, y, reset=first, classes=classes)
        return self._fit_with(X, y, groups=groups, partial=True, **fit_params)

    def forward(self, X, training=False, device="cpu"):
        """Compute the module outputs for all of ``X``, on ``n_threads`` threads.

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Input.
        training : bool, default=False
            Train-mode (dropout, batch statistics) or eval-mode.
        device : str, default="cpu"
            Where the outputs are gathered.

        Returns
        -------
        y_infer : torch.Tensor
            Concatenated outputs.
        """
        with torch_threads(self.n_threads):
            return super().forward(X, training=training, device=device)

    def train_step_single(self, batch, **fit_params):
        """Run one training step: the augmentations, then skorch's forward, loss and backward.

        Augmentations draw from the net's own generator; a mix whose weights
        differ from clip to clip (:class:`~audiosk.nets.BetweenClassMix`)
        trains on class proportions.

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` of the iterator.
        **fit_params
            Passed to the module's ``forward``.

        Returns
        -------
        step : dict
            ``{"loss": ..., "y_pred": ...}``, as skorch expects.
        """
        if not (self.module_.training and self.criterion_.training):  # set once per epoch
            self._set_training(True)
        Xi, yi = unpack_data(batch)
        targets = [(yi, 1.0)]
        for augmentation in self.augment_:
            Xi, targets = augmentation(Xi, self.random_generator_, targets)
        if any(torch.is_tensor(weight) for _, weight in targets):  # a weight per clip
            classes = self.n_outputs_
            soft = sum(
                weight.reshape(-1, 1) * torch.nn.functional.one_hot(target.long(), classes)
                for target, weight in targets
            )
            targets = [(soft, 1.0)]  # class probabilities (CrossEntropyLoss takes them)
        with self._step_rng():
            y_pred = self.infer(Xi, **fit_params)
            losses = [
                (weight, self.get_loss(y_pred, target, X=Xi, training=True))
                for target, weight in targets
            ]
            loss = losses[0][1] if len(losses) == 1 else sum(w * part for w, part in losses)
            loss.backward()
        return {"loss": loss, "y_pred": y_pred}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
