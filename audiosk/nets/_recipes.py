"""What ``"auto"`` means in the neural estimators; optimisers, schedules and augmentations by name.

:data:`RECIPES` is the one description of every ``"auto"``: the estimators
resolve their parameters from it at fit (:func:`recipe_for`), and the table in
their docstring and in the user guide is rendered from it
(:func:`recipe_table`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from sklearn.base import clone

from ..utils._sklearn_compat import InvalidParameterError
from ._augment import (
    AddNoise,
    Augmentation,
    FrequencyWarp,
    Gain,
    SpecAugment,
    TimeShift,
    TimeStretch,
)
from ._mixing import BetweenClassMix, Mixup
from ._modules import MODULES
from ._runtime import resolve_device

__all__ = [
    "AUGMENTATIONS",
    "DEFAULT_VALIDATION_FRACTION",
    "LR_SCHEDULES",
    "OPTIMIZERS",
    "RECIPES",
    "AUTO",
    "Recipe",
    "RecipeMixin",
    "SoundPercentile",
    "Steps",
    "is_auto",
    "make_augmentations",
    "recipe_for",
    "recipe_table",
]

OPTIMIZERS = {
    "adam": torch.optim.Adam,
    "adamw": torch.optim.AdamW,
    "sgd": torch.optim.SGD,
    "rmsprop": torch.optim.RMSprop,
}

LR_SCHEDULES = {
    "step": torch.optim.lr_scheduler.StepLR,
    "plateau": torch.optim.lr_scheduler.ReduceLROnPlateau,
    "cosine": torch.optim.lr_scheduler.CosineAnnealingLR,
}

#: Augmentations by name, for ``augment="<name>"``.
AUGMENTATIONS = {
    "specaugment": SpecAugment,
    "gain": Gain,
    "between-class": BetweenClassMix,
    "mixup": Mixup,
    "warp": FrequencyWarp,
    "stretch": TimeStretch,
    "noise": AddNoise,
    "shift": TimeShift,
}


def make_augmentations(spec) -> list[Augmentation]:
    """Resolve an ``augment`` parameter to new augmentation objects, checked.

    Parameters
    ----------
    spec : None, str, augmentation object, or a list of them
        Names of :data:`AUGMENTATIONS`. Objects are cloned, so the
        parameter is never modified by training.

    Returns
    -------
    augmentations : list of Augmentation
        Applied in this order.

    Examples
    --------
    >>> from audiosk.nets._recipes import make_augmentations
    >>> make_augmentations(["specaugment", "mixup"])
    [SpecAugment(), Mixup()]
    """
    if spec is None:
        return []
    items: Sequence = spec if isinstance(spec, (list, tuple)) else [spec]
    out = []
    for item in items:
        if isinstance(item, str):
            if item.lower() not in AUGMENTATIONS:
                raise InvalidParameterError(
                    f"Unknown augmentation '{item}' in augment; choose among {sorted(AUGMENTATIONS)}."
                )
            item = AUGMENTATIONS[item.lower()]()
        elif not isinstance(item, Augmentation):
            raise InvalidParameterError(
                "augment items must be names or augmentation objects (audiosk.nets.Augmentation "
                f"subclasses); got {item!r}."
            )
        else:
            item = clone(item)
        item._validate_params()
        out.append(item)
    return out


#: Share of the training data held out when validation is asked for without a fraction.
DEFAULT_VALIDATION_FRACTION = 0.2


@dataclass(frozen=True)
class Steps:
    """Epochs that follow the amount of data: about ``steps`` optimiser steps in all.

    The epochs are ``steps`` divided by the batches of an epoch, within
    ``[low, high]``: a small training set trains for more epochs, a large one
    for fewer, for about the same number of updates.

    Examples
    --------
    >>> from audiosk.nets._recipes import Steps
    >>> Steps(2000).epochs(n_train=240, batch_size=32), Steps(2000).epochs(2500, 32)
    (286, 40)
    """

    steps: int
    low: int = 40
    high: int = 400

    def epochs(self, n_train: int, batch_size: int) -> int:
        """Return the epochs for ``n_train`` training samples in batches of ``batch_size``."""
        per_epoch = max(1, n_train // max(1, batch_size))
        return int(min(self.high, max(self.low, round(self.steps / per_epoch))))

    def __str__(self) -> str:
        return f"{self.steps} steps ({self.low}-{self.high} epochs)"


@dataclass(frozen=True)
class SoundPercentile:
    """A window length learned from the training clips: a percentile of their sound's lengths.

    The ``percentile`` of the lengths of the clips' sound (their silent ends
    trimmed, along the last axis), at most ``longest`` positions, at least
    ``shortest``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets._recipes import SoundPercentile
    >>> rule = SoundPercentile(90, longest=128)
    >>> rule(np.arange(1, 101)), rule(np.full(10, 500))
    (90, 128)
    """

    percentile: float
    longest: int
    shortest: int = 2

    def __call__(self, lengths: np.ndarray) -> int:
        """Return the window length for sound lengths ``lengths``."""
        value = int(round(float(np.percentile(lengths, self.percentile))))
        return int(min(self.longest, max(self.shortest, value)))

    def __str__(self) -> str:
        return (
            f"windows of the {self.percentile:g}th percentile of the sound's lengths, "
            f"at most {self.longest}"
        )


@dataclass(frozen=True)
class Recipe:
    """What every ``"auto"`` parameter of a net resolves to, for one kind of input.

    Attributes
    ----------
    name : str
        The recipe's name, the fitted ``recipe_``.
    input : str
        The input it is for, in words.
    module : str or None
        The module by name (``MODULES``); None keeps the one given.
    module_kwargs : dict
        Arguments given to the module unless set as ``module__<name>``.
    max_epochs : int or Steps
        Epochs, or a number of optimiser steps the epochs follow.
    augment : callable
        Returns fresh augmentation objects.
    window_length : SoundPercentile or None
        Learns the window's length from the lengths of the training clips'
        sound; None reads whole clips.
    n_windows : int
        Windows averaged per clip at prediction.
    trim_db : float or None
        Silence threshold below a clip's loudest position.
    average_weights : {"ema", "swa"} or None
        Weight averaging (:class:`~audiosk.nets._callbacks.AverageWeights`).
    """

    name: str
    input: str
    module: str | None
    max_epochs: int | Steps
    augment: Callable[[], list]
    module_kwargs: dict = field(default_factory=dict)
    window_length: SoundPercentile | None = None
    n_windows: int = 1
    trim_db: float | None = None
    average_weights: str | None = None


def _spectral_augment():
    return [SpecAugment(freq_width=8, time_width=10), Mixup(0.2)]


#: The recipes: training from scratch follows the number of axes of one sample (a table row
#: or waveform, a spectrogram, an image), measured by benchmarks/bench_defaults.py; a
#: pretrained module (PANNs, or any module given module__weights) is fine-tuned.
RECIPES = {
    "table": Recipe(
        name="table",
        input="table (n, features)",
        module="mlp",
        max_epochs=100,
        augment=lambda: [Mixup(0.4)],
    ),
    # measured across kinds of sound (benchmarks/bench_defaults.py and the ablation in the
    # user guide): random windows of the clips' sound, ten averaged to predict, long training
    # with an average of the weights, no per-clip mean removal
    "spectra": Recipe(
        name="spectra",
        input="spectra (n, bins, frames), or a Spectra list of clips of any length",
        module="tdnn",
        max_epochs=Steps(2000),
        augment=_spectral_augment,
        window_length=SoundPercentile(90, longest=128),
        n_windows=10,
        trim_db=60.0,
        average_weights="ema",
    ),
    "images": Recipe(
        name="images",
        input="images (n, channels, height, width)",
        module="cnn",
        max_epochs=40,
        augment=_spectral_augment,
    ),
    "finetune": Recipe(
        name="finetune",
        input="a pretrained module (PANNs, or module__weights given)",
        module=None,
        max_epochs=10,
        augment=lambda: [Mixup(0.2)],
    ),
}


def recipe_for(shape: tuple | None, *, pretrained: bool) -> Recipe | None:
    """Choose the recipe for samples of ``shape`` (the last item None: clips of any length).

    Parameters
    ----------
    shape : tuple or None
        One sample's shape; None when unknown (no recipe).
    pretrained : bool
        The module is pretrained (fine-tuned, whatever the input).

    Returns
    -------
    recipe : Recipe or None

    Examples
    --------
    >>> from audiosk.nets._recipes import recipe_for
    >>> recipe_for((64, None), pretrained=False).name, recipe_for((20,), pretrained=False).module
    ('spectra', 'mlp')
    """
    if pretrained:
        return RECIPES["finetune"]
    if shape is None:
        return None
    if len(shape) >= 3:
        return RECIPES["images"]
    if len(shape) == 2:
        return RECIPES["spectra"]
    return RECIPES["table"]


def _describe_module(recipe: Recipe) -> str:
    if recipe.module is None:
        return "(as given)"
    module = MODULES[recipe.module]
    name = getattr(module, "__name__", recipe.module)
    extra = ", ".join(f"{k}={v!r}" for k, v in recipe.module_kwargs.items())
    return f":class:`~audiosk.nets.{name}`" + (f" ({extra})" if extra else "")


def _describe_augment(recipe: Recipe) -> str:
    return ", ".join(repr(a) for a in recipe.augment()) or "none"


def _describe_windows(recipe: Recipe) -> str:
    if recipe.window_length is None:
        return "whole clips"
    trim = "" if recipe.trim_db is None else f" (silence {recipe.trim_db:g} dB below trimmed)"
    return f"{recipe.window_length}{trim}; {recipe.n_windows} averaged at prediction"


def recipe_table(markup: str = "rst") -> str:
    """Render :data:`RECIPES` as a table, for the estimators' docstring and the user guide.

    Parameters
    ----------
    markup : {"rst", "md"}, default="rst"
        reStructuredText (a docstring) or Markdown (the guide, MyST roles).

    Returns
    -------
    table : str

    Examples
    --------
    >>> from audiosk.nets._recipes import recipe_table
    >>> print(recipe_table("md").splitlines()[0])
    | input | module | epochs | augment | windows | weights |
    """
    head = ("input", "module", "epochs", "augment", "windows", "weights")
    rows = [
        (
            r.input,
            _describe_module(r),
            str(r.max_epochs),
            _describe_augment(r),
            _describe_windows(r),
            {None: "last", "ema": "moving average", "swa": "stochastic average"}[r.average_weights],
        )
        for r in RECIPES.values()
    ]
    if markup == "md":
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(x) for x in col) for col in zip(head, *rows, strict=True)]
    rule = "  ".join("=" * w for w in widths)
    fmt: Callable[[Any], str] = lambda cells: "  ".join(  # noqa: E731
        c.ljust(w) for c, w in zip(cells, widths, strict=True)
    ).rstrip()
    return "\n".join([rule, fmt(head), rule, *(fmt(row) for row in rows), rule])


def _md(cell: str) -> str:
    """Write a reStructuredText role as MyST writes it."""
    import re

    return re.sub(r":(\w+):`([^`]+)`", r"{\1}`\2`", cell)


def is_auto(value) -> bool:
    """Whether a parameter is the string "auto" (an array or a class compares safely)."""
    return isinstance(value, str) and value == "auto"


#: The parameters whose "auto" the recipe resolves when the net is initialised (the window's
#: length needs the training clips, and is resolved at fit).
AUTO = ("module", "max_epochs", "augment", "n_windows", "trim_db", "average_weights")


class RecipeMixin:
    """What "auto" resolves to for a neural estimator, from :data:`RECIPES`."""

    def _pretrained(self):
        module = MODULES.get(self.module) if isinstance(self.module, str) else self.module
        if getattr(getattr(module, "func", module), "__name__", "") == "PANNs":
            return True
        return self.get_params_for("module").get("weights") is not None

    def _sample_shape(self):
        shape = getattr(self, "input_shape_", None)
        return shape if shape is not None else self.get_params_for("module").get("input_shape")

    def _recipe(self, param="module"):
        """Return the recipe for the data (None before any is known); refuse an unresolvable "auto"."""
        recipe = recipe_for(self._sample_shape(), pretrained=self._pretrained())
        if recipe is None and param is not None:
            raise InvalidParameterError(
                f'{param}="auto" follows the shape of the data: fit the net, or give '
                "module__input_shape (one sample's shape) when building it in code."
            )
        return recipe

    def _resolve(self):
        """Resolve every "auto" (except ``window_length``, which needs the data) into attributes.

        ``recipe_``, ``max_epochs_``, ``augment_``, ``n_windows_``,
        ``trim_db_`` and ``device_``, from :data:`~audiosk.nets._recipes.RECIPES`.
        """
        self.device_ = resolve_device(self.__dict__.get("device", "auto"))
        autos = [p for p in AUTO if is_auto(getattr(self, p))]
        recipe = self._recipe(autos[0] if autos else None)
        self.recipe_ = None if recipe is None else recipe.name

        def resolved(param, value):
            given = getattr(self, param)
            return value if is_auto(given) else given

        epochs = recipe and recipe.max_epochs
        if isinstance(epochs, Steps):  # follows the training set's size (known at fit)
            n_train = getattr(self, "_train_size", None)
            batch = self.batch_size if self.batch_size != -1 else n_train or 1
            epochs = epochs.high if n_train is None else epochs.epochs(n_train, batch)
        self.max_epochs_ = resolved("max_epochs", epochs)
        self.n_windows_ = resolved("n_windows", recipe and recipe.n_windows)
        self.trim_db_ = resolved("trim_db", recipe and recipe.trim_db)
        best = self.early_stopping or self.restore_best  # the best epoch's weights are kept
        self.average_weights_ = resolved(
            "average_weights", None if best else recipe and recipe.average_weights
        )
        augment = self.augment
        self.augment_ = make_augmentations(recipe.augment() if is_auto(augment) else augment)
        self._check_augmentations()
        auto_module = self._module_is_auto() and recipe is not None
        self._recipe_module_kwargs = dict(recipe.module_kwargs) if auto_module else {}

    def _check_augmentations(self):
        """Refuse augmentations the data or the task cannot take."""
        shape = self._sample_shape()
        for aug in self.augment_:
            if aug.needs == "classes" and not self._stratify:
                raise InvalidParameterError(
                    f"augment: {type(aug).__name__} mixes classes; {type(self).__name__} has "
                    "targets, not classes (use Mixup)."
                )
            soft = isinstance(self.criterion, type) and issubclass(
                self.criterion, torch.nn.CrossEntropyLoss
            )
            if aug.needs == "classes" and not soft:
                raise InvalidParameterError(
                    f"augment: {type(aug).__name__} trains on class proportions, which the "
                    f"criterion {self.criterion!r} does not take; use "
                    "torch.nn.CrossEntropyLoss (the default)."
                )
            if shape is None:
                continue
            table = len(shape) < 2 and getattr(self, "sample_rate_", None) is None
            if aug.needs == "spectra" and len(shape) < 2 or aug.needs == "time" and table:
                kind = "waveforms" if len(shape) < 2 and not table else "a table"
                raise InvalidParameterError(
                    f"augment: {type(aug).__name__} needs "
                    f"{'spectra or images' if aug.needs == 'spectra' else 'a time axis'}; "
                    f"the data is {kind} (samples of shape {tuple(shape)})."
                )

    def _module_is_auto(self):
        return is_auto(self.module)

    def _module_class(self):
        module = self.module
        if self._module_is_auto():
            module = self._recipe().module
        return MODULES[module] if isinstance(module, str) else module

    def _module_name(self):
        module = self.module
        recipe = self._recipe(None) if self._module_is_auto() else None
        if recipe is not None:
            module = recipe.module  # what "auto" resolves to
        return repr(module) if isinstance(module, str) else getattr(module, "__name__", "given")
