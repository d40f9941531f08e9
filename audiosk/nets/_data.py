"""Data access of the neural estimators: input checks, datasets, batches, the validation split."""

# Past 600 lines because the datasets, the batches and the checks of every input kind (arrays,
# clips of any length, DiskArray) are one contract with the nets, read together.

from __future__ import annotations

import inspect
import warnings

import numpy as np
import torch
from sklearn.model_selection import GroupShuffleSplit, StratifiedGroupKFold
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.dataset import ValidSplit
from skorch.utils import is_dataset
from torch.utils.data import DataLoader

from ..containers import DiskArray, to_float
from ..utils._base import GroupLeakageWarning
from ..utils._sklearn_compat import check_y
from ._layers import reads_lengths
from ._recipes import DEFAULT_VALIDATION_FRACTION

__all__ = [
    "ArrayDataset",
    "BatchIndices",
    "Batches",
    "DiskDataset",
    "RaggedClips",
    "RaggedDataset",
    "batch_iterator",
    "check_net_input",
    "pcm_to_float",
    "validation_split",
]

#: Batches of clips of similar length are formed within pools of this many batches.
BUCKET_POOL = 16


def pcm_to_float(X):
    """Scale integer PCM to [-1, 1) as everywhere in audiosk; pass anything else unchanged.

    Signed integers of 8, 16 and 32 bits (the sample widths of WAV files) are
    PCM, scaled by :func:`~audiosk.containers.to_float`; 64-bit integers are taken
    as numbers (a table of counts), as are floats.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets._data import pcm_to_float
    >>> pcm_to_float(np.array([16384], dtype=np.int16)).tolist(), pcm_to_float(np.array([3])).tolist()
    ([0.5], [3])
    """
    dtype = getattr(X, "dtype", None)
    if dtype is not None and dtype.kind == "i" and dtype.itemsize <= 4:
        return to_float(X)
    return X


def check_net_input(net, X, y=None, *, reset=False, **kwargs):
    """Validate float32 arrays of any rank for ``net``; skorch datasets, tensors, DiskArrays pass.

    Integer PCM (signed 8-, 16- or 32-bit) is scaled to [-1, 1) as everywhere
    in audiosk (:func:`pcm_to_float`), whatever holds it. With ``reset`` the
    net's ``sample_rate_`` (and ``n_features_in_``) are set from ``X``;
    otherwise ``X`` is checked against them.
    """
    if reset and y is None:
        raise ValueError(f"{type(net).__name__} requires y to be passed, but the target y is None.")
    if not reset:
        check_is_fitted(net, "module_")
    rate = getattr(X, "sr", None)  # waveforms carry their rate; a module taking sr gets it
    if reset:
        net.sample_rate_ = rate
    elif rate is not None and getattr(net, "sample_rate_", None) not in (None, rate):
        raise ValueError(
            f"{type(net).__name__} was fitted on waveforms at {net.sample_rate_} Hz; X is "
            f"at {rate} Hz. Load or resample X at {net.sample_rate_} Hz."
        )
    if isinstance(X, (list, tuple)):  # Spectra, Waveforms or a list of arrays
        X = _check_clips(net, X, reset=reset)
        if isinstance(X, RaggedClips):
            return X if y is None else (X, _check_ragged_y(net, X, y, **kwargs))
    if isinstance(X, DiskArray):  # read batch by batch, never as a whole
        if X.ndim < 2:
            raise ValueError(f"Expected rows of at least 1 dimension; got shape {X.shape}.")
        if reset:
            net.n_features_in_ = X.shape[1]
        elif X.shape[1] != net.n_features_in_:
            raise ValueError(
                f"X has {X.shape[1]} features, but {type(net).__name__} is expecting "
                f"{net.n_features_in_} features as input."
            )
        if y is None:
            return X
        y = np.asarray(y)
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} rows but y has {len(y)}.")
        return X, y
    if is_dataset(X) or torch.is_tensor(X):
        return X if y is None else (X, y)
    X = pcm_to_float(X)
    return validate_data(
        net,
        X,
        y="no_validation" if y is None else y,
        reset=reset,
        allow_nd=True,
        dtype=np.float32,
        **kwargs,
    )


def accepts(function, name) -> bool:
    """Whether ``function`` (or a class's constructor) takes a parameter ``name``."""
    try:
        return name in inspect.signature(function).parameters
    except (TypeError, ValueError):  # no signature to read
        return False


class RaggedClips(list):
    """Clips of different lengths (float32 arrays, one leading shape), checked for a net.

    ``lengths`` holds the last-axis length of each clip; :class:`RaggedDataset`
    batches them padded with zeros, with those lengths.
    """

    @property
    def lengths(self) -> np.ndarray:
        """Length of each clip along its last axis, ``(n_clips,)``."""
        return np.asarray([c.shape[-1] for c in self], dtype=np.int64)


def _check_clips(net, X, *, reset):
    """Check a list of clips: one float32 array when they share a shape, else :class:`RaggedClips`."""
    name = type(net).__name__
    clips = [pcm_to_float(np.asarray(c)) for c in X]
    if not clips:
        raise ValueError(f"{name} got 0 clips; it needs at least one.")
    for i, clip in enumerate(clips):
        if clip.dtype.kind in "USO":
            raise TypeError(
                f"{name}: X holds text (clip {i}: {str(clip)[:60]!r}), not audio; to read "
                "files, put audiosk.io.AudioLoader (and a spectral step) before the net."
            )
        if clip.dtype.kind not in "fiub" or clip.ndim == 0:
            raise ValueError(
                f"{name}: clip {i} of X is not a numeric array (dtype {clip.dtype}, shape "
                f"{clip.shape}); give waveforms or spectra."
            )
    empty = [i for i, c in enumerate(clips) if c.shape[-1] == 0]
    if empty:
        raise ValueError(f"{name}: clips {empty[:5]} of X are empty (0 samples or frames).")
    leading = {c.shape[:-1] for c in clips}
    if len(leading) > 1:
        raise ValueError(
            f"{name}: the clips of X may differ in length (their last axis) only; their other "
            f"axes differ: {sorted(leading)[:3]}. Compute every spectrum with the same settings."
        )
    if len({c.shape for c in clips}) == 1:
        return np.stack(clips)
    clips = RaggedClips(np.ascontiguousarray(c, dtype=np.float32) for c in clips)
    bad = [i for i, c in enumerate(clips) if not np.isfinite(c).all()]
    if bad:
        raise ValueError(
            f"{name}: clips {bad[:5]} of X hold NaN or infinite values; a net trained or "
            "evaluated on them returns NaN. Clean or drop them first."
        )
    (shape,) = leading
    if reset:
        if shape:  # spectra: the bins are the features; waveforms have none of fixed size
            net.n_features_in_ = shape[0]
        elif hasattr(net, "n_features_in_"):
            del net.n_features_in_
    else:
        fitted = getattr(net, "input_shape_", None)
        if fitted is not None and tuple(fitted[:-1]) != shape:
            raise ValueError(
                f"{name} was fitted on samples of shape {tuple(fitted)}; the clips of X have "
                f"shape {shape + ('<frames>',)}. Compute X with the settings used at fit."
            )
    return clips


def _check_ragged_y(net, X, y, *, multi_output=False, y_numeric=False):
    """Check y as ``validate_data`` does, for X of clips of different lengths."""
    y = check_y(y, multi_output=multi_output, y_numeric=y_numeric, estimator=net)
    if len(y) != len(X):
        raise ValueError(f"X has {len(X)} clips but y has {len(y)} targets.")
    return y


class RaggedDataset(torch.utils.data.Dataset):
    """Batches of clips of different lengths: zero-padded to the batch's longest, with lengths.

    A batch is ``({"X": (n, ..., max_length), "lengths": (n,)}, y)``: the
    modules that read ``lengths`` count each clip's valid frames only.
    """

    def __init__(self, X: RaggedClips, y=None):
        self.X, self.y = X, None if y is None else np.asarray(y)
        self.lengths = X.lengths
        self._y = None if self.y is None else torch.from_numpy(np.array(self.y))

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        single = np.isscalar(index) or (torch.is_tensor(index) and index.dim() == 0)
        rows = np.atleast_1d(np.asarray(index))
        clips = [self.X[i] for i in rows]
        lengths = self.lengths[rows]
        batch = np.zeros((len(rows), *clips[0].shape[:-1], lengths.max()), dtype=np.float32)
        for out, clip in zip(batch, clips, strict=True):
            out[..., : clip.shape[-1]] = clip
        Xb = {"X": torch.from_numpy(batch), "lengths": torch.from_numpy(lengths)}
        yb = torch.zeros(len(rows)) if self._y is None else self._y[torch.from_numpy(rows)]
        if single:
            return {k: v[0] for k, v in Xb.items()}, yb[0]
        return Xb, yb


class DiskDataset(torch.utils.data.Dataset):
    """Batches of a :class:`~audiosk.containers.DiskArray`, read from the file when fetched."""

    def __init__(self, X, y=None):
        self.X = X
        self.y = None if y is None else np.asarray(y)

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        single = np.isscalar(index)
        index = np.atleast_1d(index)
        batch = pcm_to_float(self.X.read(index)).astype(np.float32, copy=False)
        if not np.isfinite(batch).all():
            bad = index[~np.isfinite(batch.reshape(len(index), -1)).all(axis=1)]
            raise ValueError(
                f"Rows {bad[:5].tolist()} of {self.X!r} hold NaN or infinite values; a net "
                "trained or evaluated on them returns NaN. Clean or drop those rows first."
            )
        Xb = torch.from_numpy(batch)
        yb = torch.zeros(len(index)) if self.y is None else torch.as_tensor(self.y[index])
        return (Xb[0], yb[0]) if single else (Xb, yb)


class ArrayDataset(torch.utils.data.Dataset):
    """Batches of in-memory arrays, each fetched with one tensor indexing call.

    skorch's own dataset indexes through scikit-learn's generic indexing,
    which costs as much as a small network's step; ``X`` and ``y`` stay
    available as arrays for skorch's scoring.
    """

    def __init__(self, X, y=None):
        self.X, self.y = X, None if y is None else np.asarray(y)
        self._X = torch.from_numpy(X if X.flags.writeable else X.copy())
        self._y = None if self.y is None else torch.from_numpy(np.array(self.y))

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        index = torch.as_tensor(index)
        yb = torch.zeros(index.shape) if self._y is None else self._y[index]
        return self._X[index], yb


class Batches:
    """Mini-batches of an :class:`ArrayDataset` (or a ``Subset`` of one), indexed by tensors.

    The training loop of a small network spends as long in a ``DataLoader``
    as in its step; in-memory arrays need none of its machinery.

    Parameters
    ----------
    dataset : ArrayDataset or torch.utils.data.Subset of one
    batch_size : int
    shuffle : bool
        A new order each pass, drawn from ``generator``.
    drop_last : bool
        Leave out a last, shorter batch.
    generator : torch.Generator
    draw : torch.Generator or None, default=None
        A dataset with a ``draw`` method (windows drawn at random) gives its
        batches through it, drawing from this generator (in training).
    """

    def __init__(self, dataset, batch_size, *, shuffle, drop_last, generator, draw=None):
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator
        self.draw = draw

    @staticmethod
    def supports(dataset):
        """Whether ``dataset`` can be batched this way."""
        if isinstance(dataset, torch.utils.data.Subset):
            dataset = dataset.dataset
        return isinstance(dataset, (ArrayDataset, RaggedDataset)) or hasattr(dataset, "draw")

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _lengths(self):
        data, rows = self.dataset, None
        if isinstance(data, torch.utils.data.Subset):
            data, rows = data.dataset, np.asarray(data.indices)
        lengths = getattr(data, "lengths", None)
        return lengths if lengths is None or rows is None else lengths[rows]

    def indices(self):
        """Yield the row indices of each batch (a tensor), in the order of this pass.

        Shuffled passes over clips of different lengths are bucketed: within
        pools of ``BUCKET_POOL`` batches drawn at random, clips are sorted by
        length before they are cut into batches, and the batches are then
        taken in a random order, so little of a batch is padding.
        """
        n = len(self.dataset)
        order = torch.randperm(n, generator=self.generator) if self.shuffle else torch.arange(n)
        lengths = self._lengths() if self.shuffle else None
        if lengths is None:
            batches = list(order.split(self.batch_size))
        else:  # the rows of a shorter last batch are drawn at random, not the longest clips
            rest = n % self.batch_size
            batches = []
            for pool in order[rest:].split(self.batch_size * BUCKET_POOL) if rest < n else ():
                by_length = pool[torch.from_numpy(np.argsort(lengths[pool.numpy()], kind="stable"))]
                batches += list(by_length.split(self.batch_size))
            batches = [batches[i] for i in torch.randperm(len(batches), generator=self.generator)]
            batches += [order[:rest]] if rest else []
        for index in batches:
            if self.drop_last and len(index) < self.batch_size:
                return
            yield index

    def __iter__(self):
        data, rows = self.dataset, None
        if isinstance(data, torch.utils.data.Subset):
            data, rows = data.dataset, torch.as_tensor(np.asarray(data.indices))
        drawn = self.draw is not None and hasattr(data, "draw")
        for index in self.indices():
            index = index if rows is None else rows[index]
            yield data.draw(index.numpy(), self.draw) if drawn else data[index]


class BatchIndices(torch.utils.data.Sampler):
    """The batches of :class:`Batches` as lists of row indices, for a ``DataLoader``."""

    def __init__(self, batches: Batches):
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        return (index.tolist() for index in self.batches.indices())


def batch_iterator(dataset, batch_size, *, training, generator, kwargs):
    """Mini-batches of ``dataset``, fetched with one indexing call each (not one per sample).

    Parameters
    ----------
    dataset : torch Dataset
        The rows to batch.
    batch_size : int
        Rows per batch; -1 for one batch of all rows.
    training : bool
        Training batches are shuffled (unless ``shuffle=False``) and a last
        batch of one row (which batch normalisation cannot use) is left out.
    generator : torch.Generator or None
        Draws the order of a shuffled pass (not the ``DataLoader``'s seeds).
    kwargs : dict
        ``shuffle``, ``drop_last``, and arguments of a ``DataLoader`` (its own
        ``generator`` among them); consumed.

    Returns
    -------
    Batches or DataLoader
        :class:`Batches` for in-memory arrays without ``DataLoader``
        arguments; otherwise a ``DataLoader`` over the same batches.
    """
    batch_size = len(dataset) if batch_size == -1 else batch_size
    shuffle = kwargs.pop("shuffle", training)
    drop_last = kwargs.pop("drop_last", training and len(dataset) % batch_size == 1)
    batches = Batches(
        dataset,
        batch_size,
        shuffle=shuffle,
        drop_last=drop_last,
        generator=generator,
        draw=generator if training else None,
    )
    if not kwargs and Batches.supports(dataset):  # in memory: no DataLoader needed
        return batches
    base = dataset.dataset if isinstance(dataset, torch.utils.data.Subset) else dataset
    if training and hasattr(base, "draw"):  # windows drawn in the DataLoader's fetches
        dataset = _Drawn(dataset, generator)
    # the DataLoader draws a seed for its workers from its own generator, not the net's,
    # so that both paths see the same batches
    kwargs.setdefault("generator", torch.Generator())
    sampler = BatchIndices(batches)
    return DataLoader(dataset, sampler=sampler, batch_size=None, **kwargs)


class _Drawn(torch.utils.data.Dataset):
    """A dataset (or a Subset of one) whose rows are fetched through its ``draw``."""

    def __init__(self, dataset, generator):
        self.dataset, self.generator = dataset, generator

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, index):
        rows = np.atleast_1d(np.asarray(index))
        if isinstance(self.dataset, torch.utils.data.Subset):
            return self.dataset.dataset.draw(np.asarray(self.dataset.indices)[rows], self.generator)
        return self.dataset.draw(rows, self.generator)


def validation_split(dataset, y, *, fraction: float, stratify: bool, groups, random_state):
    """Split a dataset into training and validation parts, keeping groups on one side.

    Parameters
    ----------
    dataset : torch Dataset
        The training data.
    y : ndarray of shape (n_samples, ...)
        Targets (encoded class labels when ``stratify``).
    fraction : float
        Share of the rows held out, in (0, 1).
    stratify : bool
        Keep the class proportions in both parts.
    groups : array-like of shape (n_samples,) or None
        Group of each row (speaker, track): no group is on both sides.
        With groups, the held-out share is close to ``fraction``, not equal.
    random_state : int or None
        Seed of the split.

    Returns
    -------
    train, valid : torch Subset
        The two parts.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from audiosk.nets._data import validation_split
    >>> data = torch.utils.data.TensorDataset(torch.zeros(8, 1))
    >>> y, groups = np.array([0, 1] * 4), np.repeat(["a", "b", "c", "d"], 2)
    >>> train, valid = validation_split(data, y, fraction=0.25, stratify=True,
    ...                                 groups=groups, random_state=0)
    >>> set(groups[train.indices]).isdisjoint(groups[valid.indices])
    True
    """
    if groups is None:
        split = ValidSplit(fraction, stratified=stratify, random_state=random_state)
        return split(dataset, y)
    groups = np.asarray(groups)
    if len(groups) != len(dataset):
        raise ValueError(f"groups has {len(groups)} entries for {len(dataset)} training rows.")
    n_groups = len(np.unique(groups))
    if n_groups < 2:
        raise ValueError(
            "The internal validation split needs at least 2 groups; groups has 1. "
            "Pass validation_fraction=None (and no early_stopping, restore_best or "
            "'plateau' schedule) to train without a validation part."
        )
    index = np.arange(len(dataset))
    if stratify:
        n_splits = int(min(n_groups, max(2, round(1 / fraction))))
        splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=random_state)
        train, valid = next(splitter.split(index, np.asarray(y), groups))
    else:
        splitter = GroupShuffleSplit(1, test_size=fraction, random_state=random_state)
        train, valid = next(splitter.split(index, groups=groups))
    return torch.utils.data.Subset(dataset, train), torch.utils.data.Subset(dataset, valid)


class DataChecks:
    """The input checks of a neural estimator, and the data it holds out for validation."""

    def _check_X(self, X, y=None, *, reset=False, **kwargs):
        """Validate float32 arrays of any rank; see :func:`~audiosk.nets._data.check_net_input`."""
        checked = check_net_input(self, X, y, reset=reset, **kwargs)
        if not reset:
            self._check_lengths_read(checked if y is None else checked[0])
            self._check_clip_lengths(checked if y is None else checked[0])
        return checked

    def _check_clip_lengths(self, X):
        """Refuse clips shorter than the module reads (``min_length`` along their last axis)."""
        minimum = getattr(getattr(self, "module_", None), "min_length", None)
        if not isinstance(X, RaggedClips) or minimum is None:
            return
        short = np.flatnonzero(X.lengths < minimum)
        if short.size:
            raise ValueError(
                f"{type(self).__name__}: clips {short[:5].tolist()} of X are "
                f"{X.lengths[short[:5]].tolist()} long (last axis); the module "
                f"{type(self.module_).__name__} needs at least {minimum}. Drop or pad them "
                "(PadTrim(length=...) on waveforms), or use a smaller hop_length."
            )

    def _check_lengths_read(self, X):
        """Refuse clips of different lengths for a module that cannot read their lengths."""
        if isinstance(X, RaggedClips) and not self._windowed():
            module = getattr(self, "module_", None)
            if not reads_lengths(module if module is not None else self._module_class()):
                raise ValueError(
                    f"{type(self).__name__}: X holds clips of different lengths, which the "
                    f"module {self._module_name()} cannot read (its forward takes no "
                    "'lengths'). Use a module that pools over time ('tdnn', 'cnn' with "
                    "head='global', 'panns' on waveforms), or give clips of one length "
                    "(PadTrim before the spectral step)."
                )

    def _warn_carried_groups(self, X, groups):
        """Warn when X knows its groups (a loader's ``ClipPaths``) but the split would not."""
        carried = getattr(X, "groups", None)
        if (
            groups is None
            and carried is not None
            and self._validates()
            and self.train_split is None
        ):
            warnings.warn(
                f"X carries groups ({getattr(X, 'group_name', 'source')}) but groups=None: "
                "the internal validation split can put clips of one source on both sides. "
                "Pass fit(..., groups=...) (in a pipeline <step>__groups=...).",
                GroupLeakageWarning,
                stacklevel=3,
            )

    def check_data(self, X, y=None):
        """Refuse clips shorter than the module reads (X and y were checked by ``fit``).

        Parameters
        ----------
        X : array-like or RaggedClips
            The training data.
        y : array-like or None, default=None
            Its encoded targets.
        """
        self._check_clip_lengths(X)

    def _validates(self):
        return bool(
            self.train_split is not None
            or self.validation_fraction is not None
            or self.early_stopping
            or self.restore_best
            or self.lr_schedule == "plateau"
        )

    def get_split_datasets(self, X, y=None, **fit_params):
        """Split the training data: nothing held out unless validation is asked for.

        Parameters
        ----------
        X : array-like, RaggedClips or DiskArray
            The training input, checked by ``fit``.
        y : array-like or None, default=None
            Its encoded targets.
        **fit_params
            Passed to a ``train_split`` of the user's.

        Returns
        -------
        dataset_train : torch Dataset
            The training part.
        dataset_valid : torch Dataset or None
            The validation part (stratified, groups on one side), or None.
        """
        groups = getattr(self, "_groups", None)
        if self.train_split is not None:  # a skorch split of the user's; it gets the groups
            if groups is not None and accepts(self.train_split, "groups"):
                fit_params = {**fit_params, "groups": groups}
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
                groups=groups,
                random_state=self.random_seed_ % 2**32,
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
