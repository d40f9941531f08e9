"""Waveform to waveform steps: :class:`PadTrim`."""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .utils import WaveformArray
from .utils._base import ArrayOutputMixin
from .utils._sklearn_compat import Interval, StrOptions
from .utils._waveforms import check_audio

__all__ = ["PadTrim", "split_chunks"]


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
        y : ignored

        Returns
        -------
        self : PadTrim
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
        input_features : ignored

        Returns
        -------
        names : ndarray of str of shape (length,)
        """
        check_is_fitted(self)
        return np.asarray([f"sample{i}" for i in range(self.length_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def split_chunks(X, *, chunk_length: int, hop_length: int):
    """Cut every clip into fixed-length chunks.

    Chunks start at ``0, hop_length, 2 * hop_length, ...`` while a whole
    chunk fits; a clip shorter than one chunk gives one chunk padded with
    silence, so every clip has at least one.

    Parameters
    ----------
    X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
        Waveforms.
    chunk_length, hop_length : int
        Chunk length and hop, in samples.

    Returns
    -------
    chunks : ndarray of shape (n_chunks, chunk_length), float32
    clip_index : ndarray of shape (n_chunks,)
        The clip each chunk comes from.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.preprocessing import split_chunks
    >>> chunks, clip = split_chunks([np.arange(10.0), np.arange(3.0)], chunk_length=4, hop_length=3)
    >>> chunks.shape, clip.tolist()
    ((4, 4), [0, 0, 0, 1])
    """
    pieces, owners = [], []
    for i, clip in enumerate(X):
        n = clip.shape[-1]
        if n < chunk_length:
            pieces.append(np.pad(clip, (0, chunk_length - n))[None])
            owners.append(np.array([i]))
            continue
        starts = np.arange(0, n - chunk_length + 1, hop_length)
        pieces.append(np.lib.stride_tricks.sliding_window_view(clip, chunk_length)[starts])
        owners.append(np.full(len(starts), i))
    return np.concatenate(pieces).astype(np.float32), np.concatenate(owners)
