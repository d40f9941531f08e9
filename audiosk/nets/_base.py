"""The behaviour both neural estimators share: the default recipe, sizes from the data, validation.

:class:`~audiosk.nets.NeuralClassifier` and :class:`~audiosk.nets.NeuralRegressor`
are skorch nets with this mixin in front. It resolves ``"auto"`` parameters
from the shape of the data (the recipe), infers the module's sizes, holds
out validation data only when asked (group-aware when ``groups`` is given),
seeds everything with ``random_state`` and runs torch with ``n_threads``.
"""

# Past 400 lines because these overrides of skorch's methods must live in one class in front
# of skorch's; the data helpers it calls are in ``_data``.

from __future__ import annotations

import contextlib
import inspect
import numbers
import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import EarlyStopping, LRScheduler
from skorch.dataset import unpack_data
from skorch.utils import is_dataset
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

from ..utils import DiskArray, Waveforms
from ..utils._base import GroupLeakageWarning
from ..utils._dsp import auto_device
from ..utils._waveforms import check_waveforms
from ._augment import Mixup, SpecAugment, make_augmentations
from ._callbacks import RestoreBestWeights
from ._data import DiskDataset, validation_split
from ._modules import MODULES

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

LR_SCHEDULES = {
    "step": (
        torch.optim.lr_scheduler.StepLR,
        lambda net: {"step_size": max(1, net._epochs() // 3), "gamma": 0.1},
    ),
    "plateau": (
        torch.optim.lr_scheduler.ReduceLROnPlateau,
        lambda net: {"patience": max(1, net.patience // 2), "factor": 0.1},
    ),
    "cosine": (
        torch.optim.lr_scheduler.CosineAnnealingLR,
        lambda net: {"T_max": net._epochs()},
    ),
}

#: What ``"auto"`` means, by the number of axes of one sample: a table row
#: (1), a spectrogram (2) or an image (3). Chosen by benchmarks/bench_defaults.py.
RECIPES = {
    1: {"module": "mlp", "max_epochs": 100, "augment": [Mixup(0.4)]},
    2: {
        "module": "tdnn",
        "max_epochs": 40,
        "augment": [SpecAugment(freq_width=8, time_width=10), Mixup(0.2)],
    },
    3: {
        "module": "cnn",
        "max_epochs": 40,
        "augment": [SpecAugment(freq_width=8, time_width=10), Mixup(0.2)],
    },
}

#: Share of the training data held out when validation is asked for without a fraction.
DEFAULT_VALIDATION_FRACTION = 0.2


class _AudioNetMixin:
    """What both estimators share: the recipe, inferred sizes, validation, seeding, threads."""

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
        n_threads,
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
        self.n_threads = n_threads

    def _get_param_names(self):
        # skorch takes every attribute without a trailing underscore as a parameter;
        # its private bookkeeping ("_params_to_validate", ...) is not one.
        return sorted(n for n in super()._get_param_names() if not n.startswith("_"))

    # -- the recipe: "auto" parameters resolved from the shape of one sample
    def _recipe(self, name):
        value = getattr(self, name)
        if not (isinstance(value, str) and value == "auto"):
            return value
        shape = getattr(self, "input_shape_", None) or self.get_params_for("module").get(
            "input_shape"
        )
        if shape is None:
            raise ValueError(
                f'{name}="auto" follows the shape of the data: fit the net, or give '
                f"module__input_shape (one sample's shape) when building it in code."
            )
        return RECIPES[min(len(shape), 3)][name]

    def _epochs(self):
        """Training epochs: ``max_epochs``, resolved from "auto" once the data is seen."""
        if hasattr(self, "max_epochs_"):
            return self.max_epochs_
        return self.max_epochs if self.max_epochs != "auto" else RECIPES[1]["max_epochs"]

    def _check_params(self):
        """Validate the parameters audiosk adds, before any training."""
        name = type(self).__name__

        def fail(param, expected):
            raise ValueError(f"{name}: {param} must be {expected}; got {getattr(self, param)!r}.")

        fraction = self.validation_fraction
        if fraction is not None and not (isinstance(fraction, numbers.Real) and 0 < fraction < 1):
            fail("validation_fraction", "None or a float strictly between 0 and 1")
        if self.max_epochs != "auto" and not (
            isinstance(self.max_epochs, numbers.Integral) and self.max_epochs >= 1
        ):
            fail("max_epochs", '"auto" or an integer >= 1 (0 would return an untrained net)')
        if not (isinstance(self.patience, numbers.Integral) and self.patience >= 1):
            fail("patience", "an integer >= 1")
        if not (isinstance(self.weight_decay, numbers.Real) and self.weight_decay >= 0):
            fail("weight_decay", "a float >= 0")
        if not (isinstance(self.lr, numbers.Real) and self.lr > 0):
            fail("lr", "a float > 0")
        if self.n_threads is not None and not (
            isinstance(self.n_threads, numbers.Integral) and self.n_threads >= 1
        ):
            fail("n_threads", "None or an integer >= 1")
        if isinstance(self.lr_schedule, str) and self.lr_schedule not in LR_SCHEDULES:
            fail("lr_schedule", f"one of {sorted(LR_SCHEDULES)}, a scheduler class or None")

    # -- architecture and optimiser by name, sizes from the data
    def _module_class(self):
        module = self._recipe("module")
        if isinstance(module, str):
            try:
                return MODULES[module.lower()]
            except KeyError:
                raise ValueError(
                    f"Unknown architecture {module!r}; choose among "
                    f"{['auto', *sorted(MODULES)]} or pass a torch.nn.Module class."
                ) from None
        return module

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
            ("sr", getattr(self, "sample_rate_", None)),
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

    # -- validation: held out only when asked for, never across groups
    def _validates(self):
        return (
            self.train_split is not None
            or self.validation_fraction is not None
            or bool(self.early_stopping)
            or bool(self.restore_best)
            or self.lr_schedule == "plateau"
        )

    def get_split_datasets(self, X, y=None, **fit_params):
        if self.train_split is not None:
            return super().get_split_datasets(X, y, **fit_params)
        dataset = self.get_dataset(X, y)
        if not self._validates():
            return dataset, None
        fraction = self.validation_fraction or DEFAULT_VALIDATION_FRACTION
        try:
            return validation_split(
                dataset,
                y,
                fraction=fraction,
                stratify=self._stratify,
                groups=getattr(self, "_groups", None),
                random_state=self.random_state,
            )
        except ValueError as exc:
            asked = [
                name
                for name, on in (
                    ("validation_fraction", self.validation_fraction is not None),
                    ("early_stopping", self.early_stopping),
                    ("restore_best", self.restore_best),
                    ("lr_schedule='plateau'", self.lr_schedule == "plateau"),
                )
                if on
            ]
            raise ValueError(
                f"{type(self).__name__} could not hold out {fraction:.0%} of its {len(dataset)} "
                f"training samples for validation (asked for by {', '.join(asked)}): "
                f"{str(exc).rstrip('.')}. "
                "Give it more data, or train without validation (validation_fraction=None, "
                "early_stopping=False, restore_best=False)."
            ) from exc

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

        Training batches are shuffled unless ``iterator_train__shuffle=False``;
        a last training batch of one row (which batch normalisation cannot
        use) is left out of that epoch. A custom iterator, sampler or
        collate function falls back on skorch's.
        """
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        if iterator is not DataLoader or {"sampler", "batch_sampler", "collate_fn"} & set(kwargs):
            return super().get_iterator(dataset, training=training)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        batch_size = len(dataset) if batch_size == -1 else batch_size
        shuffle = kwargs.pop("shuffle", training)
        drop_last = kwargs.pop("drop_last", training and len(dataset) % batch_size == 1)
        order = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        batches = BatchSampler(order, batch_size, drop_last=drop_last)
        # batch_size=None: each sampled list of indices is one dataset access
        return DataLoader(dataset, sampler=batches, batch_size=None, **kwargs)

    def get_dataset(self, dataset, y=None):
        if isinstance(dataset, DiskArray):
            return DiskDataset(dataset, y)
        return super().get_dataset(dataset, y)

    def _check_X(self, X, y=None, *, reset=False, **kwargs):
        """Validate float32 arrays of any rank; skorch datasets, tensors and DiskArrays pass."""
        if reset and y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None."
            )
        if not reset:
            check_is_fitted(self, "module_")
        rate = getattr(X, "sr", None)  # waveforms carry their rate; a module taking sr gets it
        if reset:
            self.sample_rate_ = rate
        elif rate is not None and getattr(self, "sample_rate_", None) not in (None, rate):
            raise ValueError(
                f"{type(self).__name__} was fitted on waveforms at {self.sample_rate_} Hz; X is "
                f"at {rate} Hz. Load or resample X at {self.sample_rate_} Hz."
            )
        if isinstance(X, Waveforms):  # a list of clips: one array, every clip one length
            X = check_waveforms(X, owner=type(self).__name__, allow_ragged=False)
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

    def initialize(self):
        """Build the module, criterion, optimiser and callbacks (on the resolved device)."""
        with self._running():
            return super().initialize()

    def load_params(self, *args, **kwargs):
        """Load weights saved with ``save_params`` (``torch.load(weights_only=True)``)."""
        with self._running():
            return super().load_params(*args, **kwargs)

    def __setstate__(self, state):
        # skorch maps the pickled weights to state["device"]: give it the device "auto" means here
        requested = state.get("device")
        if requested == "auto":
            state = {**state, "device": auto_device()}
        super().__setstate__(state)
        if requested == "auto":
            self.device = "auto"

    # -- seeding and threads
    def _seeded(self):
        if self.random_state is None:
            return contextlib.nullcontext()
        devices = (
            list(range(torch.cuda.device_count())) if str(self.device).startswith("cuda") else []
        )
        ctx = torch.random.fork_rng(devices=devices)

        @contextlib.contextmanager
        def seeded():
            with ctx:
                torch.manual_seed(self.random_state)
                yield

        return seeded()

    @contextlib.contextmanager
    def _running(self):
        """Run torch on ``n_threads`` CPU threads and on the device ``device="auto"`` resolves to.

        skorch reads ``self.device`` wherever it moves the module or tensors; while
        audiosk runs skorch's code the parameter holds the concrete device, and
        ``"auto"`` again afterwards (so ``get_params`` and clones keep "auto").
        """
        requested, before = self.device, torch.get_num_threads()
        if isinstance(requested, str) and requested == "auto":
            self.device = auto_device()
        if self.n_threads is not None:
            torch.set_num_threads(self.n_threads)
        try:
            yield
        finally:
            self.device = requested
            torch.set_num_threads(before)

    def _warn_carried_groups(self, X, groups):
        """Warn when X knows its groups (a loader's ``ClipPaths``) but the split would not."""
        carried = getattr(X, "groups", None)
        if groups is None and carried is not None and self._validates() and not self.train_split:
            warnings.warn(
                f"X carries groups ({getattr(X, 'group_name', 'source')}) but groups=None: "
                "the internal validation split can put clips of one source on both sides. "
                "Pass fit(..., groups=...) (in a pipeline <step>__groups=...).",
                GroupLeakageWarning,
                stacklevel=3,
            )

    def _fit_with(self, X, y, *, groups=None, partial=False, **fit_params):
        self._check_params()
        if len(X) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 samples to train; got n_samples={len(X)}."
            )
        initialized = getattr(self, "initialized_", False)
        if not initialized or not (self.warm_start or partial):
            self.input_shape_ = tuple(X.shape[1:])
        self.max_epochs_ = self._recipe("max_epochs")
        self.augmentations_ = make_augmentations(self._recipe("augment"))
        seed = (
            self.random_state
            if self.random_state is not None
            else int(np.random.SeedSequence().entropy % 2**63)
        )
        self.augment_generator_ = torch.Generator().manual_seed(seed)
        # the groups serve the validation split of this call only; a fitted net keeps none
        self._groups = None if groups is None else np.asarray(groups)
        try:
            with self._running(), self._seeded():
                if not initialized or not (self.warm_start or partial):
                    self.initialize()
                super().partial_fit(X, y, **fit_params)  # skorch's training loop
        finally:
            self._groups = None
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        """Run skorch's training loop for ``max_epochs`` epochs (resolved from "auto")."""
        epochs = self.max_epochs_ if epochs is None else epochs
        return super().fit_loop(X, y, epochs=epochs, **fit_params)

    def fit(self, X, y, groups=None, **fit_params):
        """Fit the network (re-initialised unless ``warm_start``).

        Parameters
        ----------
        X : array-like of shape (n_samples, ...)
            Features ``(n, n_features)``, spectra ``(n, bins, frames)`` or
            images ``(n, C, H, W)``; cast to float32.
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
        self
        """
        self._warn_carried_groups(X, groups)
        first = not self.warm_start or not getattr(self, "initialized_", False)
        X, y = self._prepare(X, y, reset=first)
        return self._fit_with(X, y, groups=groups, **fit_params)

    def partial_fit(self, X, y, classes=None, groups=None, **fit_params):
        """Train for ``max_epochs`` more epochs without re-initialising.

        Parameters
        ----------
        X, y, groups
            As in :meth:`fit`.
        classes : array-like or None, default=None
            All the labels, for a classifier's first call when its ``y``
            does not show them all; ignored afterwards and by regressors.
        **fit_params
            Passed to skorch's ``partial_fit``.

        Returns
        -------
        self
        """
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
        with self._running():
            return super().forward(X, training=training, device=device)

    def train_step_single(self, batch, **fit_params):
        """Run one training step; the ``augment`` transformations apply to the batch here only."""
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
