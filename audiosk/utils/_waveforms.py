"""Waveform containers that remember their sample rate, and input validation.

A pipeline carries one sample rate from :class:`~audiosk.io.AudioLoader` to
the spectral steps. Plain NumPy arrays cannot hold it, so audiosk's waveform
steps return one of two thin containers that do:

- :class:`Waveforms`, a ``list`` of 1-D arrays of varying length;
- :class:`WaveformArray`, a 2-D ``ndarray`` ``(n_clips, n_samples)``.

Both behave exactly like their base type; the only addition is the ``sr``
attribute, which spectral steps compare with the rate they assume.
"""

# Past 400 lines because the containers and the one input check every waveform step calls
# belong together.

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np


class _ClipList(list[Any]):
    """A list of clips that carries their sample rate and indexes like an array.

    Under scikit-learn's ``_safe_indexing`` (folds, searches) it reports
    ``shape == (n_clips,)`` and answers integers, slices, integer arrays and
    boolean masks as NumPy answers rows: one clip for an integer, a list of
    the same type with the same ``sr`` otherwise. It pickles with its rate.
    """

    def __init__(self, clips: Iterable[Any] = (), sr: int | None = None) -> None:
        super().__init__(clips)
        self.sr = sr

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

    Parameters
    ----------
    clips : iterable of ndarray of shape (n_samples_i,)
        The waveforms.
    sr : int or None, default=None
        Sample rate of every clip, in Hz; ``None`` when unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils import Waveforms
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

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils import WaveformArray
    >>> X = WaveformArray(np.zeros((3, 8000), dtype=np.float32), sr=8000)
    >>> X[:2].shape, X[:2].sr
    ((2, 8000), 8000)
    """

    def __new__(cls, data: Any, sr: int | None = None) -> WaveformArray:
        obj = np.asarray(data).view(cls)
        obj.sr = sr
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.sr = getattr(obj, "sr", None)

    def __reduce__(self) -> Any:
        reconstruct, args, state = super().__reduce__()  # type: ignore[str-unpack]  # ndarray returns a triple
        return reconstruct, args, (state, self.sr)

    def __setstate__(self, state: Any) -> None:
        array_state, self.sr = state
        super().__setstate__(array_state)


def sample_rate_of(X: Any) -> int | None:
    """Return the sample rate attached to waveforms, or ``None``.

    Parameters
    ----------
    X : Waveforms, WaveformArray or array-like
        Waveforms as they flow through a pipeline.

    Returns
    -------
    sr : int or None
        The rate audiosk attached when it loaded or reshaped the audio;
        ``None`` for plain arrays and lists, whose rate cannot be known.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils import WaveformArray, sample_rate_of
    >>> sample_rate_of(WaveformArray(np.zeros((1, 10)), sr=16000))
    16000
    >>> sample_rate_of(np.zeros((1, 10))) is None
    True
    """
    sr = getattr(X, "sr", None)
    return int(sr) if sr is not None else None


def with_sample_rate(X: Any, sr: int | None) -> Waveforms | WaveformArray:
    """Wrap waveforms in the container that carries ``sr``.

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

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils import with_sample_rate
    >>> with_sample_rate(np.zeros((2, 5)), 8000).sr
    8000
    """
    if isinstance(X, np.ndarray):
        return WaveformArray(X, sr=sr)
    return Waveforms(X, sr=sr)


def resolve_sample_rate(
    known: int | None, sr: float | None, *, owner: str, required: bool = True
) -> int | None:
    """Reconcile a step's ``sr`` parameter with the rate its input carries.

    Parameters
    ----------
    known : int or None
        The rate attached to the input (:func:`sample_rate_of`).
    sr : float or None
        The step's ``sr`` parameter; ``None`` adopts the input's rate.
    owner : str
        Name of the step, for error messages.
    required : bool, default=True
        Whether the step cannot work without a rate. No rate is ever assumed:
        when neither is known, a step that needs one raises an error.

    Returns
    -------
    sr : int or None
        The rate to compute with (``None`` only when not ``required``).

    Raises
    ------
    ValueError
        When ``sr`` is given and differs from the rate the input carries, or
        when a required rate is known from neither.

    Examples
    --------
    >>> from audiosk.utils._waveforms import resolve_sample_rate
    >>> resolve_sample_rate(8000, None, owner="MelSpectrogram")
    8000
    >>> resolve_sample_rate(None, 16000, owner="MelSpectrogram")
    16000
    >>> resolve_sample_rate(None, None, owner="MelSpectrogram")
    Traceback (most recent call last):
    ...
    ValueError: MelSpectrogram needs the sample rate of its input, ...
    """
    if sr is None:
        if known is None and required:
            raise ValueError(
                f"{owner} needs the sample rate of its input, and these waveforms do not "
                f"carry one (a plain array or list). Pass {owner}(sr=...), or load the audio "
                "with audiosk.io.AudioLoader, whose output carries its rate through the "
                "pipeline."
            )
        return known
    if known is not None and int(sr) != known:
        raise ValueError(
            f"{owner} was configured with sr={sr}, but the waveforms it received "
            f"were loaded at {known} Hz. Use the same rate in both steps, or "
            f"leave {owner}(sr=None) to adopt the rate of its input."
        )
    return int(sr)


def check_audio(
    step: Any,
    X: Any,
    *,
    reset: bool | None = None,
    allow_ragged: bool = True,
    rate_required: bool = True,
) -> tuple[Any, int | None]:
    """Validate a waveform step's input and resolve its sample rate, in one call.

    Every audiosk step that reads waveforms starts with this: the rate comes
    from the input (:func:`sample_rate_of`) or the step's ``sr`` parameter
    (:func:`resolve_sample_rate`), and the clips are checked and turned into
    floats (:func:`check_waveforms`). At fit (``reset=True``) the resolved rate
    is recorded as ``step.sample_rate_``; after fit (``reset=False``) input
    carrying another rate is refused, and input carrying none (a plain array)
    is taken at the fitted rate.

    Parameters
    ----------
    step : estimator
        The calling step; its class name goes into messages, its ``sr``
        parameter (if any) is reconciled with the input's rate.
    X : list of 1-D array-like, or array-like of shape (n_clips, n_samples)
        Waveforms.
    reset : bool or None, default=None
        ``True`` in ``fit``: record the resolved rate as ``step.sample_rate_``.
        ``False`` in ``transform``/``predict``: check the input against
        ``step.sample_rate_`` when the step has one. ``None``: neither.
    allow_ragged : bool, default=True
        Whether clips of different lengths are accepted.
    rate_required : bool, default=True
        Whether the step needs the sample rate.

    Returns
    -------
    X : ndarray of shape (n_clips, n_samples) or list of ndarray
        The checked float waveforms.
    sr : int or None
        Their sample rate (``None`` only when not ``rate_required`` and unknown).

    Raises
    ------
    ValueError
        When the rate is needed and unknown, when ``sr`` and the carried rate
        differ, or (``reset=False``) when the input's rate is not the rate the
        step was fitted at.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.preprocessing import PadTrim
    >>> from audiosk.utils import Waveforms
    >>> from audiosk.utils._waveforms import check_audio
    >>> step = PadTrim(duration=1.0)
    >>> X, sr = check_audio(step, Waveforms([np.zeros(4), np.ones(4)], sr=8000), reset=True)
    >>> X.shape, sr, step.sample_rate_
    ((2, 4), 8000, 8000)
    >>> check_audio(step, Waveforms([np.zeros(4)], sr=16000), reset=False)
    Traceback (most recent call last):
    ...
    ValueError: PadTrim was fitted on waveforms at 8000 Hz, but X carries 16000 Hz. ...
    """
    owner = type(step).__name__
    carried = sample_rate_of(X)
    fitted = getattr(step, "sample_rate_", None) if reset is False else None
    sr: int | None
    if fitted is not None:
        sr = _check_fitted_rate(step, owner, carried, fitted)
    else:
        sr = resolve_sample_rate(
            carried, getattr(step, "sr", None), owner=owner, required=rate_required
        )
    # no n_features_in_ is recorded: a clip's length is not a feature count, and clips of
    # any length are accepted after fit
    checked = check_waveforms(X, owner=owner, allow_ragged=allow_ragged)
    if reset:
        step.sample_rate_ = sr
    return checked, sr


def _check_fitted_rate(step: Any, owner: str, carried: int | None, fitted: int) -> int:
    """Return the fitted rate a step computes with, refusing input that carries another."""
    if carried is not None and carried != fitted:
        raise ValueError(
            f"{owner} was fitted on waveforms at {fitted} Hz, but X carries {carried} Hz. "
            f"Load or resample X at {fitted} Hz (e.g. AudioLoader(sr={fitted})), or fit "
            f"{owner} again on {carried} Hz audio."
        )
    sr = getattr(step, "sr", None)
    if sr is not None and int(sr) != fitted:
        raise ValueError(
            f"{owner} was fitted at {fitted} Hz and its sr is now {sr}: fit it again after "
            "changing sr."
        )
    return fitted


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

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils import to_float
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


def _is_path(x: Any) -> bool:
    return isinstance(x, (str, bytes, os.PathLike))


_FLOATS = (np.float32, np.float64)


def check_waveforms(X: Any, *, owner: str, allow_ragged: bool = True) -> Any:
    """Validate waveforms and return them as float arrays.

    Parameters
    ----------
    X : list of 1-D array-like, or array-like of shape (n_clips, n_samples)
        Waveforms. A pandas DataFrame is taken as a 2-D array.
    owner : str
        Name of the calling step, for error messages.
    allow_ragged : bool, default=True
        Whether clips of different lengths are accepted. When False, a ragged
        input raises an error that points to :class:`~audiosk.preprocessing.PadTrim`.

    Returns
    -------
    X : ndarray of shape (n_clips, n_samples) or list of ndarray
        Integer PCM scaled to [-1, 1) (:func:`to_float`): a 2-D float32/float64
        array when every clip has the same length, otherwise a list of 1-D
        float arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.utils._waveforms import check_waveforms
    >>> check_waveforms([np.zeros(3), np.ones(3)], owner="demo").shape
    (2, 3)
    """
    if _is_path(X):
        raise TypeError(
            f"{owner} expects waveforms, got a single path '{X}'. Put "
            "audiosk.io.AudioLoader first to load files."
        )
    if hasattr(X, "iloc") and getattr(X, "ndim", 2) == 1:
        X = list(X)  # a pandas Series of clips
    is_sequence = isinstance(X, (list, tuple)) or (
        isinstance(X, np.ndarray) and X.dtype == object and X.ndim == 1
    )
    if is_sequence:
        clips = list(X)
        if any(_is_path(c) for c in clips):
            raise TypeError(
                f"{owner} expects waveforms, got file paths. Put "
                "audiosk.io.AudioLoader first in the pipeline to load them."
            )
        clips = [to_float(c, owner=owner) for c in clips]
        if len({c.shape for c in clips}) > 1:
            return _check_ragged(clips, owner, allow_ragged)
        X = np.stack(clips) if clips else np.empty((0, 0))
    if not isinstance(X, np.ndarray) and hasattr(X, "__array__"):
        X = np.asarray(X)  # DataFrames and other array-likes: scaled like arrays below
    if isinstance(X, np.ndarray):
        X = to_float(X, owner=owner)
    if isinstance(X, np.ndarray) and X.ndim == 1 and X.dtype != object:
        raise ValueError(
            f"{owner} expects several clips (n_clips, n_samples) or a list of 1-D clips; got "
            f"one 1-D array of {len(X)} samples. Reshape your data: for a single clip pass "
            "[clip] or clip[None, :] (not reshape(-1, 1), which makes every sample a clip)."
        )
    if isinstance(X, np.ndarray) and X.ndim == 3:
        raise ValueError(
            f"{owner} expects 1-D waveforms, got an array of shape {X.shape}: "
            "multi-channel audio? Load it with mono=True."
        )
    from sklearn.utils import check_array

    return check_array(X, dtype=_FLOATS)


def _check_ragged(clips: list[np.ndarray], owner: str, allow_ragged: bool) -> list[np.ndarray]:
    from sklearn.utils import check_array

    if not allow_ragged:
        lengths = sorted(len(c) for c in clips)
        raise ValueError(
            f"{owner} needs clips of one length, got lengths from {lengths[0]} to "
            f"{lengths[-1]} samples. Put audiosk.preprocessing.PadTrim before it."
        )
    out = []
    for i, c in enumerate(clips):
        if c.ndim != 1:
            raise ValueError(
                f"{owner} expects 1-D waveforms; clip {i} has shape {c.shape}. "
                "Load audio with mono=True."
            )
        if c.dtype in _FLOATS and c.size and np.isfinite(np.sum(c)):
            out.append(c)  # a finite float clip: what check_array would return, at less cost
            continue
        out.append(check_array(c[None, :], dtype=_FLOATS, input_name=f"clip {i}")[0])
    return out
