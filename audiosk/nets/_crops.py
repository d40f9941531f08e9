"""Windows of the clips a net reads: random ones that hold sound in training, even ones to predict.

A net with a ``window_length`` reads its clips through windows of that many
positions along their last axis (frames of a spectrogram, samples of a
waveform). Silence at both ends of a clip is left out first: the positions
more than ``trim_db`` below the clip's loudest are trimmed from its ends
(spectra are read as dB, the way ``MelSpectrogram(db=True)`` gives them;
waveforms by the power of blocks of samples). In training, every time a clip
is drawn it gives one window at a random place: windows may reach half their
length past either end of the sound (those are shorter, the part inside), and
a window must hold sound: at least ``SOUND_SHARE`` of its positions (or of
the clip's, when the clip has fewer) within ``ACTIVE_DB`` of the clip's
loudest. A clip whose sound is shorter than a window is read whole. To
predict, ``n_windows`` evenly spaced windows cover each clip's sound
(:func:`~audiosk.utils._windows.even_window_starts`), those without any such
position are left out, and the net's outputs on the others are averaged, so
a clip's prediction does not depend on its batch.

A module that reads ``lengths`` gets windows as they are (a shorter one with
its length); any other module gets windows of exactly ``window_length``, the
part outside the sound filled with the clip's quietest value.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
from skorch import dataset as skorch_dataset
from skorch.utils import is_dataset, to_tensor
from torch.utils.data import DataLoader

from ..containers import DiskArray
from ..utils._sklearn_compat import InvalidParameterError
from ..utils._windows import even_window_starts
from ._data import (
    ArrayDataset,
    DiskDataset,
    RaggedClips,
    RaggedDataset,
    accepts,
    batch_iterator,
)
from ._layers import reads_lengths
from ._recipes import is_auto

__all__ = [
    "ACTIVE_DB",
    "SOUND_SHARE",
    "Covered",
    "WindowDataset",
    "WindowsMixin",
    "cover",
    "levels",
    "sound_lengths",
    "sound_span",
]

#: Samples per block when the level of a waveform is measured.
WAVEFORM_BLOCK = 256

#: A position holds sound when it is within this many dB of the clip's loudest.
ACTIVE_DB = 30.0

#: Share of positions with sound a training window must hold: of its own length, or of all
#: the clip's positions with sound when the clip has fewer.
SOUND_SHARE = 0.25


def levels(clip: np.ndarray) -> np.ndarray:
    """Level of every position along the last axis, in dB.

    Parameters
    ----------
    clip : ndarray of shape (n_samples,) or (..., n_frames)
        A waveform, or a spectrum in dB (its bins' power is averaged).

    Returns
    -------
    levels : ndarray of shape (n_positions,)

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets._crops import levels
    >>> np.round(levels(np.array([[0.0, -20.0], [0.0, -20.0]])), 6).tolist()
    [0.0, -20.0]
    """
    x = np.asarray(clip, dtype=np.float64)
    n = x.shape[-1]
    if x.ndim == 1:
        blocks = -(-n // WAVEFORM_BLOCK)
        power = np.zeros(blocks * WAVEFORM_BLOCK)
        power[:n] = x * x
        level = 10 * np.log10(power.reshape(blocks, -1).mean(axis=1) + 1e-20)
        return np.repeat(level, WAVEFORM_BLOCK)[:n]
    flat = x.reshape(-1, n)
    peak = flat.max()
    return peak + 10 * np.log10(np.mean(10 ** ((flat - peak) / 10), axis=0) + 1e-30)


def sound_span(loud: np.ndarray) -> tuple[int, int]:
    """First and past-last loud positions, ``(start, stop)``; the whole clip when none is."""
    where = np.flatnonzero(loud)
    return (int(where[0]), int(where[-1]) + 1) if where.size else (0, len(loud))


def _loud(clip: np.ndarray, trim_db: float | None) -> np.ndarray:
    if trim_db is None:
        return np.ones(clip.shape[-1], dtype=bool)
    level = levels(clip)
    return level >= level.max() - trim_db


class Covered(RaggedClips):
    """Windows that cover clips for a prediction, with the clip each comes from (``clip``)."""

    clip: np.ndarray


def sound_lengths(clips, trim_db: float | None) -> np.ndarray:
    """Length of each clip's sound (its silent ends trimmed), ``(n_clips,)``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets._crops import sound_lengths
    >>> quiet_ends = np.r_[np.full(3, -80.0), np.zeros(4), np.full(2, -80.0)]
    >>> sound_lengths([np.tile(quiet_ends, (2, 1))], trim_db=40.0).tolist()
    [4]
    """
    spans = [sound_span(_loud(np.asarray(c), trim_db)) for c in clips]
    return np.asarray([stop - start for start, stop in spans], dtype=np.int64)


def cover(clips, window_length: int, n_windows: int, trim_db: float | None, fixed: bool) -> Covered:
    """Cover each clip's sound by ``n_windows`` evenly spaced windows (one when it is short).

    Parameters
    ----------
    clips : sequence of ndarray of shape (..., n_i)
        Clips (a 2-D or 3-D array is a sequence of rows).
    window_length : int
        Positions per window.
    n_windows : int
        Windows per clip whose sound is longer than a window.
    trim_db : float or None
        Silence threshold below the clip's loudest position (None: no trimming).
    fixed : bool
        Give every window ``window_length`` positions (filled with the clip's
        quietest value past its sound), for modules that read no lengths.

    Returns
    -------
    windows : Covered
        The windows, clips in order; ``windows.clip`` names the clip of each.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.nets._crops import cover
    >>> windows = cover([np.zeros((2, 10)), np.zeros((2, 3))], 4, 3, None, fixed=False)
    >>> [w.shape for w in windows], windows.clip.tolist()
    ([(2, 4), (2, 4), (2, 4), (2, 3)], [0, 0, 0, 1])
    """
    out, owner = Covered(), []
    for i, clip in enumerate(clips):
        clip = np.asarray(clip, dtype=np.float32)
        start, stop = sound_span(_loud(clip, trim_db))
        active = _loud(clip, ACTIVE_DB)
        starts = start + even_window_starts(stop - start, window_length, n_windows)
        sounding = [s for s in starts if active[s : s + window_length].any()]
        for s in sounding or starts:
            window = clip[..., s : min(s + window_length, stop)]
            out.append(_fill_to(window, window_length, 0, clip) if fixed else window)
            owner.append(i)
    out.clip = np.asarray(owner, dtype=np.int64)
    return out


def _fill_to(window: np.ndarray, length: int, offset: int, clip: np.ndarray) -> np.ndarray:
    """Place ``window`` at ``offset`` in ``length`` positions, the rest the clip's quietest value."""
    if window.shape[-1] == length:
        return window
    quiet = 0.0 if clip.ndim == 1 else float(clip.min())  # silence of a waveform, floor of dB
    out = np.full((*window.shape[:-1], length), quiet, dtype=np.float32)
    out[..., offset : offset + window.shape[-1]] = window
    return out


class WindowDataset(torch.utils.data.Dataset):
    """The clips a net trains on, read through windows: random ones drawn, centred ones indexed.

    Parameters
    ----------
    clips : sequence of ndarray of shape (..., n_i)
        Training clips (float32).
    y : array-like of shape (n_clips, ...) or None
        Their targets.
    window_length : int
        Positions per window.
    trim_db : float or None
        Silence threshold (None: the whole clip is sound).
    fixed : bool
        Windows of exactly ``window_length`` (for modules that read no lengths).
    """

    def __init__(self, clips, y, window_length: int, trim_db: float | None, fixed: bool):
        self.X = clips
        self.y = None if y is None else np.asarray(y)
        self._y = None if self.y is None else torch.from_numpy(np.array(self.y))
        self.window_length, self.fixed = window_length, fixed
        self.clips = [np.asarray(c, dtype=np.float32) for c in clips]
        self.spans = np.asarray([sound_span(_loud(c, trim_db)) for c in self.clips], dtype=np.int64)
        # positions with sound before each position, to count those a window holds in O(1)
        self._loud_before = [
            np.concatenate([[0], np.cumsum(_loud(c, ACTIVE_DB))]) for c in self.clips
        ]

    def __len__(self):
        return len(self.clips)

    def __getitem__(self, index):
        """Give the centred window of each clip's sound (validation, batch-norm statistics)."""
        rows = np.atleast_1d(np.asarray(index))
        pieces = []
        for i in rows:
            start, stop = self.spans[i]
            first = start + max(0, (stop - start - self.window_length) // 2)
            pieces.append(self._piece(i, first, first + self.window_length))
        return self._batch(pieces, rows)

    def draw(self, index, generator: torch.Generator):
        """One random window of each clip that holds sound, drawn from ``generator``."""
        rows = np.atleast_1d(np.asarray(index))
        length, half = self.window_length, self.window_length // 2
        draws = torch.rand(len(rows), generator=generator).numpy()
        pieces = []
        for i, draw in zip(rows, draws, strict=True):
            start, stop = (int(v) for v in self.spans[i])
            if stop - start <= length:  # shorter than a window: read whole
                pieces.append(self._piece(i, start, stop))
                continue
            first = np.arange(start - half, stop - length + half + 1)  # half a window past each end
            lo, hi = np.clip(first, start, stop), np.clip(first + length, start, stop)
            loud = self._loud_before[i]
            held = loud[hi] - loud[lo]
            good = first[held >= SOUND_SHARE * min(length, loud[-1])]
            choices = good if good.size else first
            s = int(choices[min(int(draw * len(choices)), len(choices) - 1)])
            pieces.append(self._piece(i, s, s + length))
        return self._batch(pieces, rows)

    def _piece(self, i, first, last):
        """Positions ``[first, last)`` of clip ``i`` within its sound, and where they sit."""
        start, stop = self.spans[i]
        lo, hi = max(first, start), min(last, stop)
        return self.clips[i][..., lo:hi], lo - first, i

    def _batch(self, pieces, rows):
        yb = torch.zeros(len(rows)) if self._y is None else self._y[torch.from_numpy(rows)]
        if self.fixed:
            X = np.stack([_fill_to(w, self.window_length, o, self.clips[i]) for w, o, i in pieces])
            return torch.from_numpy(X), yb
        lengths = np.asarray([w.shape[-1] for w, _, _ in pieces], dtype=np.int64)
        X = np.zeros((len(pieces), *pieces[0][0].shape[:-1], lengths.max()), dtype=np.float32)
        for out, (w, _, _) in zip(X, pieces, strict=True):
            out[..., : w.shape[-1]] = w
        return {"X": torch.from_numpy(X), "lengths": torch.from_numpy(lengths)}, yb


class WindowsMixin:
    """How a neural estimator reads its input: datasets, batches, and windows of the clips.

    Windows are resolved at fit, drawn in training and averaged to predict;
    without them clips are read whole (padded in a batch, with their lengths).
    """

    def _windowed(self):
        return getattr(self, "window_length_", None) is not None

    def _reads_lengths(self):
        module = getattr(self, "module_", None)
        return reads_lengths(module if module is not None else self._module_class())

    def _module_input_shape(self):
        shape = getattr(self, "input_shape_", None)
        if shape is None or not self._windowed():
            return shape
        return (*shape[:-1], self.window_length_)

    def _resolve_window(self, X):
        """Resolve ``window_length`` from the training clips into ``window_length_``."""
        given = self.window_length
        self.window_length_ = None if given is None or is_auto(given) else int(given)
        if isinstance(X, DiskArray):  # windows need the clips in memory to find their sound
            if self.window_length_ is not None:
                raise InvalidParameterError(
                    f"{type(self).__name__}: window_length={given!r} needs the clips in memory "
                    "to find their sound; X is a DiskArray. Use window_length=None (or 'auto', "
                    "which reads a DiskArray's rows whole)."
                )
            return
        recipe = self._recipe(None)
        if is_auto(given) and recipe is not None and recipe.window_length is not None:
            trim = recipe.trim_db if is_auto(self.trim_db) else self.trim_db
            self.window_length_ = int(recipe.window_length(sound_lengths(X, trim)))
        shape = self.input_shape_
        if (
            self.window_length_ is not None
            and len(shape) < 2
            and getattr(self, "sample_rate_", None) is None
        ):
            raise InvalidParameterError(
                f"{type(self).__name__}: window_length={given!r} cuts clips along their time "
                f"axis; X is a table (samples of shape {shape}). Use window_length=None."
            )

    def _by_window(self, X, predict):
        """``predict`` of every clip of X, averaged over the windows that cover it."""
        rows = X if isinstance(X, RaggedClips) else list(X)
        windows = cover(
            rows, self.window_length_, self.n_windows_, self.trim_db_, not self._reads_lengths()
        )
        out = np.asarray(predict(windows), dtype=np.float64)
        first = np.searchsorted(windows.clip, np.arange(len(rows)))
        counts = np.diff(np.append(first, len(out))).reshape((-1,) + (1,) * (out.ndim - 1))
        return np.add.reduceat(out, first, axis=0) / counts

    def _predicts_by_window(self, X):
        return self._windowed() and not (is_dataset(X) or torch.is_tensor(X))

    def get_iterator(self, dataset, training=False):
        """Return the mini-batches of ``dataset``, each fetched with one indexing call.

        Training batches are shuffled by the net's own generator unless
        ``iterator_train__shuffle=False``; a last training batch of one row
        (which batch normalisation cannot use) is left out of that epoch.
        Clips of different lengths are bucketed by length, and a net that
        reads windows draws a window of each clip for each training batch.
        A custom iterator, sampler or collate function is built as skorch
        builds it, given a ``generator`` seeded from the net's own when it
        takes one and none is set, so that a seed fixes its order too.

        Parameters
        ----------
        dataset : torch Dataset
            The data to batch.
        training : bool, default=False
            Training batches (shuffled, windows drawn) or evaluation ones.

        Returns
        -------
        batches : iterable
            ``(X, y)`` pairs.
        """
        prefix = "iterator_train" if training else "iterator_valid"
        iterator = self.iterator_train if training else self.iterator_valid
        kwargs = self.get_params_for(prefix)
        if iterator is not DataLoader or {"sampler", "batch_sampler", "collate_fn"} & set(kwargs):
            if training and accepts(iterator, "generator") and "generator" not in kwargs:
                seed = int(torch.randint(0, 2**62, (1,), generator=self.random_generator_))
                kwargs["generator"] = torch.Generator().manual_seed(seed)
            kwargs.setdefault("batch_size", self.batch_size)
            if kwargs["batch_size"] == -1:
                kwargs["batch_size"] = len(dataset)
            return iterator(dataset, **kwargs)
        batch_size = kwargs.pop("batch_size", self.batch_size)
        generator = self.random_generator_ if training else None
        return batch_iterator(
            dataset, batch_size, training=training, generator=generator, kwargs=kwargs
        )

    def get_dataset(self, dataset, y=None):
        """Wrap the input in the dataset that batches it.

        Parameters
        ----------
        dataset : array-like, RaggedClips, DiskArray or torch Dataset
            The input (checked by ``fit`` or ``predict``).
        y : array-like or None, default=None
            Its targets.

        Returns
        -------
        dataset : torch Dataset
            Windows of the clips for a net that reads windows, a file read
            batch by batch for a :class:`~audiosk.containers.DiskArray`,
            padded batches with lengths for clips of different lengths, in
            memory tensors for arrays, skorch's ``Dataset`` otherwise.
        """
        if isinstance(dataset, DiskArray):
            return DiskDataset(dataset, y)
        if (
            self._windowed()
            and isinstance(dataset, (RaggedClips, np.ndarray))
            and not isinstance(dataset, Covered)
        ):
            return WindowDataset(
                dataset, y, self.window_length_, self.trim_db_, fixed=not self._reads_lengths()
            )
        if isinstance(dataset, RaggedClips):
            return RaggedDataset(dataset, y)
        plain = type(dataset) is np.ndarray and (y is None or isinstance(y, np.ndarray))
        if plain and self.dataset is skorch_dataset.Dataset and not self.get_params_for("dataset"):
            return ArrayDataset(dataset, y)
        return super().get_dataset(dataset, y)

    def infer(self, x, **fit_params):
        """Run the module on a batch: padded clips of different lengths with their lengths.

        Parameters
        ----------
        x : torch.Tensor or dict
            A batch, or ``{"X": padded batch, "lengths": (n,)}``.
        **fit_params
            Passed to the module's ``forward``.

        Returns
        -------
        y_infer : torch.Tensor
            The module's output.
        """
        if isinstance(x, Mapping) and "lengths" in x:  # clips of different lengths, padded
            x = to_tensor(x, device=self.device)
            X = x["X"].float() if x["X"].dtype == torch.float64 else x["X"]
            if self._windowed() and not self._reads_lengths():  # windows of one length
                return self.module_(X, **fit_params)
            return self.module_(X, lengths=x["lengths"], **fit_params)
        if torch.is_tensor(x) and x.dtype == torch.float64:
            x = x.float()
        return super().infer(x, **fit_params)
