"""The data audiosk's steps pass between them: waveforms and spectra that carry their sample rate.

A pipeline carries one sample rate from :class:`~audiosk.io.AudioLoader` to
every step that needs it. Plain NumPy arrays cannot hold it, so audiosk's
steps pass these thin containers, which behave like their base type and add
the ``sr`` attribute:

- :class:`Waveforms`, a ``list`` of 1-D arrays of varying length;
- :class:`WaveformArray`, a 2-D ``ndarray`` ``(n_clips, n_samples)``;
- :class:`Spectra`, a ``list`` of ``(n_bins, n_frames_i)`` spectra of clips
  of different lengths (what the spectral steps return for them).

:class:`DiskArray` holds rows of a ``.npy`` file that scikit-learn can split
and the nets read batch by batch. Waveforms are floats in [-1, 1]:
:func:`to_float` scales integer PCM as every entry point does.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from numbers import Real
from typing import Any

import numpy as np

__all__ = [
    "DiskArray",
    "Spectra",
    "WaveformArray",
    "Waveforms",
    "sample_rate_of",
    "to_float",
    "with_sample_rate",
]


def _check_rate(sr: Any, owner: str) -> int | None:
    """Return ``sr`` as an int (None stays None); refuse a rate that is not a positive number."""
    if sr is None:
        return None
    rate = float(sr) if isinstance(sr, Real) and not isinstance(sr, (bool, np.bool_)) else 0.0
    if not rate > 0:
        raise ValueError(
            f"{owner}: sr={sr!r} is not a sample rate; give a positive number of Hz (or None "
            "when the rate is unknown)."
        )
    if rate != int(rate):
        raise ValueError(f"{owner}: sr={sr!r} is not a whole number of Hz.")
    return int(rate)


class _ClipList(list[Any]):
    """A list of clips that carries their sample rate and indexes like an array.

    Under scikit-learn's ``_safe_indexing`` (folds, searches) it reports
    ``shape == (n_clips,)`` and answers integers, slices, integer arrays and
    boolean masks as NumPy answers rows: one clip for an integer, a list of
    the same type with the same ``sr`` otherwise. It pickles with its rate.
    """

    def __init__(self, clips: Iterable[Any] = (), sr: int | None = None) -> None:
        super().__init__(clips)
        self.sr = _check_rate(sr, type(self).__name__)

    @property
    def shape(self) -> tuple[int]:
        """``(n_clips,)``: scikit-learn then indexes the list as an array, through ``[]``."""
        return (len(self),)

    @property
    def ndim(self) -> int:
        """1: a sequence of clips."""
        return 1

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, tuple) and len(index) == 2 and index[1] is Ellipsis:
            index = index[0]  # scikit-learn's _safe_indexing asks for X[rows, ...]
        if isinstance(index, (int, np.integer)):
            return list.__getitem__(self, int(index))
        if isinstance(index, slice):
            return type(self)(list.__getitem__(self, index), sr=self.sr)
        rows = np.asarray(index)
        if rows.dtype == bool:
            if len(rows) != len(self):
                raise IndexError(f"boolean index of {len(rows)} for {len(self)} clips")
            rows = np.flatnonzero(rows)
        if rows.ndim != 1 or (len(rows) and rows.dtype.kind not in "iu"):
            raise IndexError(
                f"{type(self).__name__} index with integers, slices or masks; got {index!r}"
            )
        return type(self)([list.__getitem__(self, int(i)) for i in rows], sr=self.sr)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (list(self), self.sr))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_clips={len(self)}, sr={self.sr})"


class Waveforms(_ClipList):
    """A list of 1-D waveforms with their common sample rate.

    What :class:`~audiosk.io.AudioLoader` returns: clips keep their own
    lengths. Indexing with slices, integer arrays or masks gives another
    ``Waveforms`` with the same ``sr``, so scikit-learn's cross-validation
    splits it like an array.

    Parameters
    ----------
    clips : iterable of ndarray of shape (n_samples_i,)
        The waveforms.
    sr : int or None, default=None
        Sample rate of every clip, in Hz; ``None`` when unknown.

    See Also
    --------
    WaveformArray : The same for clips of one length, as a 2-D array.
    Spectra : Spectra of clips of different lengths.
    with_sample_rate : Wrap a list or array in the matching container.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.containers import Waveforms
    >>> w = Waveforms([np.zeros(800), np.zeros(1200)], sr=8000)
    >>> len(w), w.sr
    (2, 8000)
    """


class WaveformArray(np.ndarray):
    """A 2-D float array ``(n_clips, n_samples)`` with its sample rate.

    Slicing, arithmetic and pickling keep ``sr``; ``np.asarray`` returns a
    plain ``ndarray``.

    Parameters
    ----------
    data : array-like of shape (n_clips, n_samples)
        Fixed-length waveforms.
    sr : int or None, default=None
        Sample rate in Hz; ``None`` when unknown.

    See Also
    --------
    Waveforms : The same for clips of different lengths, as a list.
    audiosk.preprocessing.PadTrim : Bring clips to one length, giving this container.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.containers import WaveformArray
    >>> X = WaveformArray(np.zeros((3, 8000), dtype=np.float32), sr=8000)
    >>> X[:2].shape, X[:2].sr
    ((2, 8000), 8000)
    """

    def __new__(cls, data: Any, sr: int | None = None) -> WaveformArray:
        """View ``data`` as a waveform array carrying ``sr``."""
        obj = np.asarray(data).view(cls)
        obj.sr = _check_rate(sr, cls.__name__)
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.sr = getattr(obj, "sr", None)

    def __reduce__(self) -> Any:
        reconstruct, args, state = super().__reduce__()  # type: ignore[str-unpack]  # ndarray returns a triple
        return reconstruct, args, (state, self.sr)

    def __setstate__(self, state: Any) -> None:
        array_state, self.sr = state
        super().__setstate__(array_state)


class Spectra(_ClipList):
    """A list of spectra ``(n_bins, n_frames_i)``, one per clip, of any lengths.

    What :class:`~audiosk.features.MelSpectrogram` and the other spectral
    steps return for clips of different lengths: each clip keeps its own
    frame count (librosa's for that clip), nothing is padded. All clips share
    the number of bins.

    Parameters
    ----------
    clips : iterable of ndarray of shape (n_bins, n_frames_i)
        The spectra (float32).
    sr : int or None, default=None
        Sample rate of the audio they were computed from, in Hz.

    Attributes
    ----------
    sr : int or None
        The rate.

    See Also
    --------
    Waveforms : The waveforms such spectra are computed from.
    audiosk.features.MelSpectrogram : A spectral step that returns ``Spectra``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.containers import Spectra
    >>> S = Spectra([np.zeros((64, 10), np.float32), np.zeros((64, 4), np.float32)], sr=8000)
    >>> S.shape, S.lengths.tolist(), S.n_bins
    ((2,), [10, 4], 64)
    >>> padded, lengths = S.padded()
    >>> padded.shape, lengths.tolist()
    ((2, 64, 10), [10, 4])
    >>> S[[1]].lengths.tolist(), S[[1]].sr
    ([4], 8000)
    """

    @property
    def lengths(self) -> np.ndarray:
        """Frames of each clip, ``(n_clips,)`` int64."""
        return np.asarray([np.shape(s)[-1] for s in self], dtype=np.int64)

    @property
    def n_bins(self) -> int:
        """Bins (rows) of every clip."""
        if not self:
            raise ValueError("Spectra holds no clips, so it has no number of bins.")
        return int(np.shape(self[0])[0])

    def padded(self, n_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Stack the clips into one array, zeros after each clip's last frame.

        Parameters
        ----------
        n_frames : int or None, default=None
            Frames of the output (the longest clip when None); a clip longer
            than this is an error, never trimmed.

        Returns
        -------
        X : ndarray of shape (n_clips, n_bins, n_frames), float32
            The spectra, left-aligned.
        lengths : ndarray of shape (n_clips,), int64
            Valid frames of each row of ``X``.
        """
        lengths = self.lengths
        longest = int(lengths.max()) if len(lengths) else 0
        n_frames = longest if n_frames is None else n_frames
        if longest > n_frames:
            raise ValueError(
                f"Spectra.padded(n_frames={n_frames}): a clip has {longest} frames; "
                "pass n_frames of at least the longest clip."
            )
        X = np.zeros((len(self), self.n_bins if self else 0, n_frames), dtype=np.float32)
        for row, (s, n) in enumerate(zip(self, lengths, strict=True)):
            X[row, :, :n] = s
        return X, lengths


class DiskArray:
    """Rows of a ``.npy`` file, read only when a batch needs them.

    scikit-learn's cross-validation and searches select rows with
    ``X[indices, ...]``; on a ``DiskArray`` that gives another ``DiskArray``
    (a list of row numbers), not a copy, so a search over
    :class:`~audiosk.nets.NeuralClassifier` never holds the whole training
    set in memory: the net reads each mini-batch from the memory-mapped file.
    It pickles as a path and row numbers, so Dask or joblib workers open the
    file themselves. ``np.asarray`` loads the selected rows.

    Parameters
    ----------
    path : str or os.PathLike[str]
        A ``.npy`` file (e.g. spectrograms ``(n_clips, n_bins, n_frames)``,
        float32 so that nothing needs converting).
    rows : array-like of int or None, default=None
        Row numbers this view selects (all rows when None).

    Attributes
    ----------
    shape : tuple of int
        ``(len(rows),) + row shape``.
    dtype : numpy dtype
        The file's dtype.

    See Also
    --------
    Spectra : Spectra in memory; ``Spectra.padded`` stacks them for ``np.save``.
    audiosk.nets.NeuralClassifier : Reads a ``DiskArray`` one mini-batch at a time.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from audiosk.containers import DiskArray
    >>> path = os.path.join(tempfile.mkdtemp(), "spectra.npy")
    >>> np.save(path, np.arange(24, dtype=np.float32).reshape(4, 2, 3))
    >>> X = DiskArray(path)
    >>> X.shape, X[[3, 1]].shape, X[[3, 1]].rows.tolist()
    ((4, 2, 3), (2, 2, 3), [3, 1])
    >>> np.asarray(X[[3]])[0, 0]
    array([18., 19., 20.], dtype=float32)
    """

    def __init__(self, path: str | os.PathLike[str], rows: np.ndarray | None = None):
        self.path = os.fspath(path)
        self._memmap: np.ndarray | None = None
        head = self._file()
        self._row_shape = head.shape[1:]
        self.dtype = head.dtype
        self.rows = np.arange(len(head)) if rows is None else np.asarray(rows, dtype=np.int64)

    def _file(self) -> np.ndarray:
        if self._memmap is None:
            self._memmap = np.load(self.path, mmap_mode="r")
        return self._memmap

    @property
    def shape(self) -> tuple[int, ...]:
        """``(len(rows),)`` followed by the shape of one row."""
        return (len(self.rows),) + self._row_shape

    @property
    def ndim(self) -> int:
        """Number of axes, the rows' included."""
        return 1 + len(self._row_shape)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            if len(key) > 2 or (len(key) == 2 and key[1] is not Ellipsis):
                raise IndexError("DiskArray selects rows only: X[rows] or X[rows, ...].")
            key = key[0]
        if isinstance(key, (int, np.integer)):
            return np.asarray(self._file()[self.rows[key]])
        return DiskArray(self.path, self.rows[key])

    def read(self, index: Any) -> np.ndarray:
        """Load the rows at positions ``index`` of this view (in that order).

        Parameters
        ----------
        index : array-like of int
            Positions within this view.

        Returns
        -------
        rows : ndarray of shape (len(index),) + row shape
            The rows, in memory, in the order of ``index``.
        """
        rows = self.rows[np.asarray(index)]
        order = np.argsort(rows, kind="stable")  # read the file forwards
        out = np.empty((len(rows),) + self._row_shape, dtype=self.dtype)
        out[order] = self._file()[rows[order]]
        return out

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        out = self.read(np.arange(len(self)))
        return out if dtype is None else out.astype(dtype, copy=False)

    def __getstate__(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "rows": self.rows,
            "_row_shape": self._row_shape,
            "dtype": self.dtype,
            "_memmap": None,
        }

    def __repr__(self) -> str:
        return f"DiskArray('{self.path}', shape={self.shape}, dtype={self.dtype})"


def sample_rate_of(X: Any) -> int | None:
    """Return the sample rate attached to waveforms, or ``None``.

    Reads the ``sr`` attribute of audiosk's containers; the steps that need
    a rate use it when their own ``sr`` parameter is not given.

    Parameters
    ----------
    X : Waveforms, WaveformArray or array-like
        Waveforms as they flow through a pipeline.

    Returns
    -------
    sr : int or None
        The rate audiosk attached when it loaded or reshaped the audio;
        ``None`` for plain arrays and lists, whose rate cannot be known.

    See Also
    --------
    with_sample_rate : Attach a rate to waveforms.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.containers import WaveformArray, sample_rate_of
    >>> sample_rate_of(WaveformArray(np.zeros((1, 10)), sr=16000))
    16000
    >>> sample_rate_of(np.zeros((1, 10))) is None
    True
    """
    sr = getattr(X, "sr", None)
    return int(sr) if sr is not None else None


def with_sample_rate(X: Any, sr: int | None) -> Waveforms | WaveformArray:
    """Wrap waveforms in the container that carries ``sr``.

    An ``ndarray`` becomes a :class:`WaveformArray` (a view, not a copy);
    any other sequence of clips becomes :class:`Waveforms`.

    Parameters
    ----------
    X : list of ndarray or ndarray of shape (n_clips, n_samples)
        Waveforms.
    sr : int or None
        Sample rate to attach.

    Returns
    -------
    Waveforms or WaveformArray
        ``X`` in the matching container.

    See Also
    --------
    sample_rate_of : Read the rate back.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.containers import with_sample_rate
    >>> with_sample_rate(np.zeros((2, 5)), 8000).sr
    8000
    """
    if isinstance(X, np.ndarray):
        return WaveformArray(X, sr=sr)
    return Waveforms(X, sr=sr)


def to_float(x: Any, *, owner: str = "audiosk") -> np.ndarray:
    """Return samples as floats in [-1, 1], scaling integer PCM as librosa does.

    Signed integers are divided by ``2 ** (bits - 1)`` (as
    ``librosa.util.buf_to_float``); floats pass unchanged. Unsigned and
    boolean samples are refused: 8-bit unsigned PCM is offset by 128, and
    silently reading it as signed would distort it.

    Parameters
    ----------
    x : array-like
        Samples of any shape.
    owner : str, default="audiosk"
        Name of the caller, for error messages.

    Returns
    -------
    x : ndarray
        Float samples (float32 for integer input).

    See Also
    --------
    audiosk.io.load_audio : Decode a file to float32 samples.
    with_sample_rate : Attach a rate to the waveforms.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.containers import to_float
    >>> to_float(np.array([-32768, 0, 16384], dtype=np.int16)).tolist()
    [-1.0, 0.0, 0.5]
    """
    x = np.asarray(x)
    if x.dtype.kind == "i":
        scaled: np.ndarray = x.astype(np.float32) / np.float32(1 << (8 * x.itemsize - 1))
        return scaled
    if x.dtype.kind in "ub":
        raise TypeError(
            f"{owner} got {x.dtype} samples. Signed integer PCM is scaled to [-1, 1) and "
            "floats are used as they are; convert unsigned audio first, e.g. "
            "(x.astype(np.float32) - 128) / 128 for 8-bit PCM."
        )
    floats: np.ndarray = x
    return floats
