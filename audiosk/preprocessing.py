"""Waveform to waveform steps: :class:`PadTrim`."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .containers import WaveformArray, to_float
from .utils._base import ArrayOutputMixin
from .utils._sklearn_compat import Interval, IntInterval, StrOptions, validate_params
from .utils._waveforms import check_audio
from .utils._windows import window_starts

__all__ = ["PadTrim", "split_windows"]


_STRETCH_FFT = 512


def _stretch(x: np.ndarray, length: int) -> np.ndarray:
    """Time-stretch the last axis of ``x`` to ``length`` samples, keeping the pitch (phase vocoder)."""
    import librosa

    if x.shape[-1] == length:
        return x
    if x.shape[-1] < _STRETCH_FFT:  # too short for one analysis window: pad with silence first
        x = _pad_trim(x, _STRETCH_FFT, "constant", "both")
    stretched = librosa.effects.time_stretch(
        np.asarray(x, dtype=np.float32),
        rate=x.shape[-1] / length,
        n_fft=_STRETCH_FFT,
        hop_length=_STRETCH_FFT // 4,
    )
    return _pad_trim(stretched, length, "constant", "right")  # the vocoder is off by a few samples


def _pad_trim(x: np.ndarray, length: int, mode: str, side: str) -> np.ndarray:
    """Pad or trim the last axis of ``x`` to ``length`` samples (``mode="stretch"``: time-stretch)."""
    if mode == "stretch":
        return _stretch(x, length)
    n = x.shape[-1]
    if n > length:
        start = {"right": 0, "left": n - length, "both": (n - length) // 2}[side]
        return x[..., start : start + length]
    if n < length:
        missing = length - n
        before = {"right": 0, "left": missing, "both": missing // 2}[side]
        widths = [(0, 0)] * (x.ndim - 1) + [(before, missing - before)]
        return np.pad(x, widths, mode=mode)  # type: ignore[call-overload]  # a checked str
    return x


class PadTrim(ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Pad or trim waveforms to one length.

    The length is given in samples (``length``), in seconds (``duration``,
    with the sample rate), or learned at fit as a percentile of the training
    clips' lengths (``percentile=90``: the length that 90 % of clips do not
    exceed). Give at most one of the three; with none, clips are padded to
    the longest clip seen at fit.

    Parameters
    ----------
    length : int or None, default=None
        Target length in samples.
    duration : float or None, default=None
        Target length in seconds; needs ``sr`` or waveforms that carry their
        rate (as :class:`~audiosk.io.AudioLoader` returns them).
    sr : int or None, default=None
        Sample rate for ``duration``; ``None`` takes the input's rate. A rate
        given here is attached to the output, for the steps after it.
    percentile : float in (0, 100] or None, default=None
        Learn the length at fit as this percentile of the clip lengths
        (the smallest observed length that at least this share of clips do
        not exceed).
    mode : {"constant", "wrap", "reflect", "stretch"}, default="constant"
        How short clips are padded: silence, looping the clip, or mirroring.
        "stretch" neither pads nor trims: every clip is slowed down or sped
        up to the length with its pitch kept (phase vocoder, 512-sample
        window, hop 128), which normalises speaking rate, e.g. for words
        said by unseen speakers.
    side : {"right", "left", "both"}, default="right"
        Where samples are added or removed: at the end, at the start, or
        equally at both ends (centring the clip). Unused by "stretch".

    Attributes
    ----------
    length_ : int
        The output length in samples.
    sample_rate_ : int or None
        Rate of the waveforms seen at fit (carried by them, or ``sr``);
        ``None`` when neither gave one. Once it is known, waveforms carrying
        another rate are refused at transform (``length_`` counts samples at
        this rate), and plain arrays are taken at this rate.

    See Also
    --------
    split_windows : Cut clips into several windows of one length instead.
    audiosk.io.AudioLoader : Load clips of one length with ``duration``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.preprocessing import PadTrim
    >>> clips = [np.ones(3), np.ones(5), np.ones(8)]
    >>> PadTrim(length=4).fit_transform(clips)
    WaveformArray([[1., 1., 1., 0.],
                   [1., 1., 1., 1.],
                   [1., 1., 1., 1.]], dtype=float32)
    >>> PadTrim(percentile=50).fit(clips).length_
    5
    """

    _parameter_constraints: dict = {
        "length": [Interval(Integral, 1, None, closed="left"), None],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "sr": [Interval(Integral, 1, None, closed="left"), None],
        "percentile": [Interval(Real, 0, 100, closed="right"), None],
        "mode": [StrOptions({"constant", "wrap", "reflect", "stretch"})],
        "side": [StrOptions({"right", "left", "both"})],
    }

    def __init__(
        self, length=None, *, duration=None, sr=None, percentile=None, mode="constant", side="right"
    ):
        self.length = length
        self.duration = duration
        self.sr = sr
        self.percentile = percentile
        self.mode = mode
        self.side = side

    def fit(self, X, y=None):
        """Fix the output length.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms.
        y : None
            Ignored.

        Returns
        -------
        self : PadTrim
            The fitted step.
        """
        self._validate_params()
        given = [p for p in ("length", "duration", "percentile") if getattr(self, p) is not None]
        if len(given) > 1:
            raise ValueError(
                f"PadTrim takes one of length, duration or percentile; got {given}. "
                "Leave all three None to pad to the longest clip seen at fit."
            )
        X, sr = check_audio(self, X, reset=True, rate_required=self.duration is not None)
        if self.length is not None:
            self.length_ = int(self.length)
        elif self.duration is not None:
            self.length_ = int(round(self.duration * sr))
            if self.length_ < 1:
                raise ValueError(
                    f"PadTrim(duration={self.duration}) is less than one sample at {sr} Hz; "
                    "give a longer duration."
                )
        else:
            lengths = [x.shape[-1] for x in X]
            percentile = 100 if self.percentile is None else self.percentile
            self.length_ = int(np.percentile(lengths, percentile, method="inverted_cdf"))
        return self

    def transform(self, X):
        """Pad or trim every clip to ``length_`` samples.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths, at the rate seen at fit (``sample_rate_``).

        Returns
        -------
        X_out : WaveformArray of shape (n_clips, length), float32
            Fixed-length waveforms carrying their sample rate.
        """
        check_is_fitted(self)
        X, sr = check_audio(self, X, reset=False, rate_required=False)  # the rate is passed on
        if isinstance(X, np.ndarray) and self.mode != "stretch":
            out = _pad_trim(X, self.length_, self.mode, self.side)
        else:
            out = np.stack([_pad_trim(x, self.length_, self.mode, self.side) for x in X])
        return WaveformArray(np.ascontiguousarray(out, dtype=np.float32), sr=sr)

    def get_feature_names_out(self, input_features=None):
        """Name the output samples ``sample0`` ... ``sample{length_-1}``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (length,)
            One name per output sample.
        """
        check_is_fitted(self)
        return np.asarray([f"sample{i}" for i in range(self.length_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


@validate_params(
    {
        "X": ["array-like"],
        "window_length": [IntInterval(1, None, closed="left")],
        "hop_length": [IntInterval(1, None, closed="left")],
    },
    prefer_skip_nested_validation=True,
)
def split_windows(
    X, *, window_length: int, hop_length: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut every clip into windows of one length, the last ending at the clip's end.

    Windows start at ``0, hop_length, 2 * hop_length, ...``, and the last
    window ends at the clip's end (it overlaps the one before more than
    ``hop_length`` would when the clip is not a whole number of hops long),
    so the tail of a clip is not dropped; only a remainder under 1 % of a
    window (``TAIL_SHARE``; the 13 ms past 30 s of a GTZAN track, with 3 s
    windows) gets no window of its own, which would repeat the last one
    almost whole. A clip shorter than one window gives one window,
    zero-padded at the end, so every clip has at least one.

    Parameters
    ----------
    X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
        Waveforms, of one length or of different lengths.
    window_length : int
        Window length, in samples.
    hop_length : int
        Samples between the starts of two windows, from 1 to ``window_length``
        (a longer hop would skip the audio between windows).

    Returns
    -------
    windows : ndarray of shape (n_windows, window_length)
        The windows, the clips in order and each clip's windows in time order:
        float64 when the clips are, float32 otherwise (integer PCM is scaled
        to [-1, 1) first, :func:`~audiosk.containers.to_float`).
    clip_index : ndarray of shape (n_windows,), int64
        The clip each window comes from (its row in ``X``).
    start : ndarray of shape (n_windows,), int64
        Where each window starts in its clip, in samples.

    See Also
    --------
    PadTrim : Bring every clip to one length instead, one row per clip.
    audiosk.chunking.ChunkedClassifier : Classify windows and pool them per clip.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.preprocessing import split_windows
    >>> windows, clip, start = split_windows(
    ...     [np.arange(11.0), np.arange(3.0)], window_length=4, hop_length=3
    ... )
    >>> windows.shape, clip.tolist(), start.tolist()
    ((5, 4), [0, 0, 0, 0, 1], [0, 3, 6, 7, 0])
    >>> windows[3].tolist(), windows[4].tolist()  # the tail of clip 0; clip 1 padded
    ([7.0, 8.0, 9.0, 10.0], [0.0, 1.0, 2.0, 0.0])
    """
    if hop_length > window_length:
        raise ValueError(
            f"split_windows: hop_length={hop_length} is longer than window_length={window_length}, "
            "so the audio between windows would be skipped. Use a hop of at most window_length."
        )
    pieces, owners, starts = [], [], []
    for i, clip in enumerate(X):
        clip = to_float(clip, owner="split_windows")
        n = clip.shape[-1]
        start = window_starts(n, window_length, hop_length)
        if n < window_length:
            pieces.append(np.pad(clip, (0, window_length - n))[None])
        else:
            pieces.append(np.lib.stride_tricks.sliding_window_view(clip, window_length)[start])
        owners.append(np.full(len(start), i, dtype=np.int64))
        starts.append(start)
    if not pieces:
        raise ValueError("split_windows got no clips.")
    dtype = np.float64 if all(p.dtype == np.float64 for p in pieces) else np.float32
    return (
        np.concatenate(pieces).astype(dtype, copy=False),
        np.concatenate(owners),
        np.concatenate(starts),
    )
