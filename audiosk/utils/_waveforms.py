"""The input check every waveform step calls: clips as floats, and one sample rate resolved.

The containers that carry the rate are in :mod:`audiosk.containers`.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..containers import sample_rate_of, to_float


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
    >>> from audiosk.containers import Waveforms
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
        _refuse_empty([i for i, c in enumerate(clips) if np.size(c) == 0], owner)
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

    if isinstance(X, np.ndarray) and X.ndim == 2 and X.shape[1] == 0 and len(X):
        # scikit-learn's wording for an array without columns, then what it means here
        raise ValueError(
            f"{owner}: found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 "
            "is required: every clip of X has 0 samples, and an empty clip cannot be "
            "described. Drop empty clips (an empty file, or a cut past the end of the audio?)."
        )
    return check_array(X, dtype=_FLOATS)


def _refuse_empty(empty: list[int], owner: str) -> None:
    """Refuse clips of 0 samples, naming them: no step can describe an empty clip."""
    if empty:
        more = f" (and {len(empty) - 5} more)" if len(empty) > 5 else ""
        raise ValueError(
            f"{owner}: clip{'s' if len(empty) > 1 else ''} {empty[:5]}{more} of X "
            f"{'have' if len(empty) > 1 else 'has'} 0 samples; an empty clip cannot be "
            "described. Drop it (an empty file, or a cut past the end of the audio?)."
        )


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
