"""Waveform to spectrogram transformers: Spectrogram, MelSpectrogram, MFCC."""

# Past 600 lines because the three share one base class, one STFT path and their filterbanks
# here (one computation for every spectral feature), and numpydoc docstrings with examples are
# a third of it.

from __future__ import annotations

import warnings
from collections.abc import Callable
from functools import lru_cache
from numbers import Integral, Real
from typing import Any, Self

import numpy as np
import scipy.fft
from sklearn.base import BaseEstimator, TransformerMixin

from ..containers import Spectra
from ..utils._base import AudioskWarning, StatelessArrayMixin
from ..utils._sklearn_compat import Interval, Options, StrOptions
from ..utils._waveforms import check_audio
from ._stft import DTYPES, stft_plan, stft_power, stft_power_ragged, to_db

__all__ = ["MFCC", "MelSpectrogram", "Spectrogram"]

_STFT_CONSTRAINTS = {
    "sr": [Interval(Integral, 1, None, closed="left"), None],
    "n_fft": [Interval(Integral, 1, None, closed="left")],
    "hop_length": [Interval(Integral, 1, None, closed="left")],
    "win_length": [Interval(Integral, 1, None, closed="left"), None],
    "window": [str],
    "center": ["boolean"],
    "pad_mode": [StrOptions({"constant", "reflect", "edge"})],
    "power": [Interval(Real, 0, None, closed="neither")],
    "dtype": [StrOptions(set(DTYPES)), Options(type, {np.float32, np.float64})],
    "n_jobs": [Integral, None],
}
_DB_CONSTRAINTS = {
    "db": ["boolean"],
    "top_db": [Interval(Real, 0, None, closed="left"), None],
    "ref": [Interval(Real, 0, None, closed="neither"), StrOptions({"max"})],
}
_MEL_CONSTRAINTS = {
    "n_mels": [Interval(Integral, 1, None, closed="left")],
    "fmin": [Interval(Real, 0, None, closed="left")],
    "fmax": [Interval(Real, 0, None, closed="neither"), None],
    "htk": ["boolean"],
    "norm": [StrOptions({"slaney"}), Interval(Real, 0, None, closed="neither"), None],
}


def mel_basis(
    sr: float,
    n_fft: int,
    n_mels: int,
    fmin: float,
    fmax: float | None,
    htk: bool,
    norm: Any,
) -> np.ndarray:
    """Librosa's Mel filterbank, transposed to ``(n_freq, n_mels)`` float32.

    Raises an error for a band edge past the Nyquist frequency or an empty
    range, and warns (naming the parameters to change) when some Mel bands
    fall between two FFT bins and stay all-zero.
    """
    top = sr / 2 if fmax is None else fmax
    if top > sr / 2:
        raise ValueError(
            f"fmax={fmax} Hz is above the Nyquist frequency of sr={sr} Hz ({sr / 2:g} Hz): "
            "the bands above it would be all-zero. Lower fmax or leave it None."
        )
    if not fmin < top:
        raise ValueError(f"fmin={fmin:g} Hz must be below fmax={top:g} Hz.")
    basis = _mel_basis(sr, n_fft, n_mels, fmin, fmax, htk, norm)
    empty = int(np.sum(~basis.any(axis=0)))
    if empty:
        warnings.warn(
            f"{empty} of {n_mels} Mel bands are all-zero: with n_fft={n_fft} at sr={sr} Hz the "
            f"FFT bins are {sr / n_fft:g} Hz apart, too coarse for the lowest bands. Use fewer "
            "n_mels, a larger n_fft or a higher fmin.",
            AudioskWarning,
            stacklevel=3,
        )
    return basis


@lru_cache(maxsize=32)
def _mel_basis(
    sr: float,
    n_fft: int,
    n_mels: int,
    fmin: float,
    fmax: float | None,
    htk: bool,
    norm: Any,
) -> np.ndarray:
    import librosa

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Empty filters detected")  # ours names the fix
        basis = librosa.filters.mel(
            sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, htk=htk, norm=norm
        )
    out = np.ascontiguousarray(basis.T, dtype=np.float32)
    out.flags.writeable = False
    return out


@lru_cache(maxsize=32)
def log_frequency_basis(
    sr: float, n_fft: int, n_bins: int, fmin: float, fmax: float | None
) -> np.ndarray:
    """Linear interpolation of an STFT's bins at log-spaced frequencies, ``(n_freq, n_bins)``."""
    fmax = sr / 2 if fmax is None else fmax
    if not 0 < fmin < fmax:
        raise ValueError(
            f"A log frequency axis needs 0 < fmin < fmax; got fmin={fmin}, fmax={fmax}."
        )
    n_freq = 1 + n_fft // 2
    position = np.geomspace(fmin, fmax, n_bins) * n_fft / sr  # fractional bin index
    position = np.clip(position, 0, n_freq - 1)
    lower = (
        np.minimum(np.floor(position).astype(int), n_freq - 2)
        if n_freq > 1
        else np.zeros(n_bins, int)
    )
    frac = position - lower
    basis = np.zeros((n_freq, n_bins), dtype=np.float32)
    cols = np.arange(n_bins)
    basis[lower, cols] = 1 - frac
    if n_freq > 1:
        basis[lower + 1, cols] += frac
    basis.flags.writeable = False
    return basis


class _SpectralBase(StatelessArrayMixin, TransformerMixin, BaseEstimator):
    """Shared fit/transform of the waveform -> spectrogram steps.

    Subclasses set ``_parameter_constraints``, may give a filterbank
    ``_basis(sr)`` applied inside the STFT, and may override ``_post()``, which
    returns what is applied to each clip's filtered ``|STFT|**power``
    ``(n_bins, n_frames)`` (decibels by default) and the rows it returns.
    """

    def fit(self, X: Any, y: Any = None) -> Self:
        """Validate the parameters and the input, and record the sample rate.

        The step works unfitted too (the rate then comes from each input or
        ``sr``); once fitted it refuses waveforms carrying another rate than
        ``sample_rate_``.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or list of 1-D arrays of any lengths
            Waveforms.
        y : None
            Ignored.

        Returns
        -------
        self : object
            The fitted step.
        """
        self._validate_params()
        _, sr = check_audio(self, X, reset=True)
        assert sr is not None  # check_audio raised when the rate is unknown
        self._check_settings(sr)
        return self

    def _check_settings(self, sr: int) -> None:
        """Check what the parameters' own constraints cannot: how they relate at rate ``sr``."""
        if self.win_length is not None and self.win_length > self.n_fft:
            raise ValueError(
                f"{type(self).__name__}: win_length={self.win_length} is longer than "
                f"n_fft={self.n_fft}; the window must fit in the FFT frame. Raise n_fft or "
                "lower win_length."
            )

    def transform(self, X: Any) -> Any:
        """Compute the spectrogram of every clip.

        Parameters
        ----------
        X : ndarray of shape (n_clips, n_samples) or list of 1-D arrays of any lengths
            Waveforms; a :class:`~audiosk.containers.WaveformArray` or
            :class:`~audiosk.containers.Waveforms` also carries its sample rate,
            which must match ``sr`` and, once fitted, ``sample_rate_``.

        Returns
        -------
        S : ndarray of shape (n_clips, n_bins, n_frames) or Spectra, float32
            A 3-D array when every clip has one length; otherwise a
            :class:`~audiosk.containers.Spectra` list of ``(n_bins, n_frames_i)``
            arrays, each with librosa's frame count for its clip (nothing is
            padded or trimmed), carrying the sample rate.
        """
        self._validate_params()
        X, sr = check_audio(self, X, reset=False)
        assert sr is not None  # check_audio raised when the rate is unknown
        self._check_settings(sr)
        plan = stft_plan(
            basis=self._basis(sr),
            n_fft=self.n_fft,
            hop_length=self.hop_length,
            win_length=self.win_length,
            window=self.window,
            center=self.center,
            pad_mode=self.pad_mode,
            power=float(self.power),
            dtype=np.dtype(self.dtype).name,
        )
        post, n_out = self._post()
        if isinstance(X, list):  # clips of different lengths
            S = stft_power_ragged(X, plan, post=post, n_out=n_out, n_jobs=self.n_jobs)
            return Spectra(S, sr=sr)
        return stft_power(X, plan, post=post, n_out=n_out, n_jobs=self.n_jobs)

    def _basis(self, sr: int) -> np.ndarray | None:
        """Filterbank ``(n_freq, n_bins)`` fused into the STFT, or None."""
        return None

    def _post(self) -> tuple[Callable[[np.ndarray], np.ndarray] | None, int | None]:
        """Per-clip step after the filterbank (decibels in place with ``db``), and its rows."""
        if not getattr(self, "db", False):
            return None, None
        power, ref, top_db = float(self.power), self.ref, self.top_db

        def db(S: np.ndarray) -> np.ndarray:
            to_db(S[None], power=power, ref=ref, top_db=top_db, out=S[None])
            return S

        return db, None


class Spectrogram(_SpectralBase):
    """Short-time Fourier transform magnitude or power, optionally in dB.

    Equals ``np.abs(librosa.stft(y, ...)) ** power`` (and
    ``librosa.power_to_db``/``amplitude_to_db`` with ``db=True``) for each clip.

    Parameters
    ----------
    sr : int or None, default=None
        Sample rate; ``None`` adopts the rate the waveforms carry (an error
        when they carry none).
    n_fft : int, default=2048
        FFT size; the output has ``1 + n_fft // 2`` bins on a linear axis.
    hop_length : int, default=512
        Samples between frames.
    win_length : int or None, default=None
        Window length (``n_fft`` when None), zero-padded to ``n_fft``.
    window : str, default="hann"
        Window name, as in ``scipy.signal.get_window``.
    center : bool, default=True
        Pad ``n_fft // 2`` samples on both sides so that frames are centred.
    pad_mode : {"constant", "reflect", "edge"}, default="constant"
        Padding used when ``center``.
    power : float, default=2.0
        1 for magnitude, 2 for power.
    db : bool, default=False
        Convert to decibels.
    top_db : float or None, default=80.0
        With ``db``, floor each clip at its maximum minus ``top_db``.
    ref : float or "max", default=1.0
        With ``db``, the 0 dB reference (``"max"``: each clip's maximum).
    frequency_scale : {"linear", "log"}, default="linear"
        ``"log"`` resamples the bins at ``n_bins`` log-spaced frequencies
        between ``fmin`` and ``fmax`` by linear interpolation.
    n_bins : int, default=128
        Bins of the log frequency axis.
    fmin : float, default=32.7
        Lowest frequency of the log axis (Hz, C1). Unlike
        :class:`MelSpectrogram`'s band edge (0 Hz by default), a log axis
        cannot start at 0 Hz, so the default is C1, the lowest note of
        librosa's constant-Q defaults; only used with ``frequency_scale="log"``.
    fmax : float or None, default=None
        Highest frequency of the log axis (``sr / 2`` when None).
    dtype : {"float64", "float32"} or numpy float type, default="float64"
        Working precision of the window, FFT and filterbank (the output is
        float32 either way). ``"float64"`` matches librosa to about 1e-7 of
        the maximum and keeps quiet bins accurate on a dB scale;
        ``"float32"`` takes about 40 % less time and stays within 0.05 dB of
        librosa above the ``top_db`` floor.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): blocks of clips, in threads
        (the values do not depend on it). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.

    Attributes
    ----------
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate.

    See Also
    --------
    MelSpectrogram : The same power summed into Mel bands.
    audiosk.features.SpectrogramImage : Turn spectrograms into images for vision nets.
    audiosk.plotting.plot_spectrogram : Draw one clip's spectrogram.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import Spectrogram
    >>> t = np.arange(8000) / 8000
    >>> X = np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t)])
    >>> S = Spectrogram(sr=8000, n_fft=256, hop_length=128, db=True).fit_transform(X)
    >>> S.shape, S.dtype
    ((2, 129, 63), dtype('float32'))
    >>> int(S[0].mean(axis=1).argmax() * 8000 / 256)
    437
    """

    _parameter_constraints: dict[str, Any] = {
        **_STFT_CONSTRAINTS,
        **_DB_CONSTRAINTS,
        "frequency_scale": [StrOptions({"linear", "log"})],
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "fmin": [Interval(Real, 0, None, closed="neither")],
        "fmax": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        *,
        sr: float | None = None,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        db: bool = False,
        top_db: float | None = 80.0,
        ref: float | str = 1.0,
        frequency_scale: str = "linear",
        n_bins: int = 128,
        fmin: float = 32.7,
        fmax: float | None = None,
        dtype: Any = "float64",
        n_jobs: int | None = None,
    ) -> None:
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.power = power
        self.db = db
        self.top_db = top_db
        self.ref = ref
        self.frequency_scale = frequency_scale
        self.n_bins = n_bins
        self.fmin = fmin
        self.fmax = fmax
        self.dtype = dtype
        self.n_jobs = n_jobs

    def _check_settings(self, sr: int) -> None:
        super()._check_settings(sr)
        if self.frequency_scale != "log":
            return
        top = sr / 2 if self.fmax is None else self.fmax
        if top > sr / 2:
            raise ValueError(
                f"Spectrogram: fmax={self.fmax} Hz is above the Nyquist frequency of {sr} Hz "
                f"audio ({sr / 2:g} Hz); the log-frequency bins above it would all repeat the "
                "top FFT bin. Lower fmax to at most sr / 2, or leave it None."
            )
        if not self.fmin < top:
            raise ValueError(
                f"Spectrogram: fmin={self.fmin} Hz must be below fmax={top:g} Hz "
                f"(sr / 2 when fmax is None, here {sr} Hz audio). Lower fmin."
            )

    def _basis(self, sr: int) -> np.ndarray | None:
        if self.frequency_scale == "log":
            return log_frequency_basis(sr, self.n_fft, self.n_bins, float(self.fmin), self.fmax)
        return None


class MelSpectrogram(_SpectralBase):
    """Mel-scaled spectrogram, equal to ``librosa.feature.melspectrogram``.

    The STFT's ``|X| ** power`` of each clip, multiplied by librosa's Mel
    filterbank (``librosa.filters.mel``) and, with ``db=True``, converted to
    decibels.

    Parameters
    ----------
    sr : int or None, default=None
        Sample rate of the waveforms; ``None`` adopts the rate they carry
        (an error when they carry none). A given ``sr`` that differs from
        the carried rate raises an error.
    n_fft : int, default=2048
        FFT size.
    hop_length : int, default=512
        Samples between frames.
    win_length : int or None, default=None
        Window length (``n_fft`` when None).
    window : str, default="hann"
        Window name.
    center : bool, default=True
        Centre frames by padding ``n_fft // 2`` samples on both sides.
    pad_mode : {"constant", "reflect", "edge"}, default="constant"
        Padding used when ``center``.
    power : float, default=2.0
        Exponent of the magnitude before the filterbank.
    n_mels : int, default=128
        Mel bands.
    fmin : float, default=0.0
        Lowest band edge (Hz).
    fmax : float or None, default=None
        Highest band edge (``sr / 2`` when None).
    htk : bool, default=False
        Use the HTK Mel formula instead of Slaney's.
    norm : "slaney", float or None, default="slaney"
        Filter normalisation, as in ``librosa.filters.mel``.
    db : bool, default=False
        Convert to decibels (``librosa.power_to_db`` per clip).
    top_db : float or None, default=80.0
        With ``db``, floor each clip at its maximum minus ``top_db``.
    ref : float or "max", default=1.0
        With ``db``, the 0 dB reference.
    dtype : {"float64", "float32"} or numpy float type, default="float64"
        Working precision of the window, FFT and filterbank (the output is
        float32 either way). ``"float64"`` matches librosa to about 1e-7 of
        the maximum and keeps quiet bins accurate on a dB scale;
        ``"float32"`` takes about 40 % less time and stays within 0.05 dB of
        librosa above the ``top_db`` floor.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): blocks of clips, in threads
        (the values do not depend on it). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.

    Attributes
    ----------
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate.

    See Also
    --------
    Spectrogram : The STFT power on a linear or log frequency axis.
    MFCC : Cepstral coefficients of the same Mel spectrum.
    audiosk.features.Deltas : Add the spectrogram's first and second time differences.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import MelSpectrogram
    >>> X = np.random.default_rng(0).normal(size=(4, 8000)).astype(np.float32)
    >>> mel = MelSpectrogram(sr=8000, n_fft=1024, hop_length=512, n_mels=64)
    >>> mel.fit_transform(X).shape
    (4, 64, 16)

    Clips of different lengths give one spectrogram each, nothing padded:

    >>> S = mel.transform([X[0], X[1, :3000]])
    >>> S, S.lengths.tolist()
    (Spectra(n_clips=2, sr=8000), [16, 6])
    """

    _parameter_constraints: dict[str, Any] = {
        **_STFT_CONSTRAINTS,
        **_MEL_CONSTRAINTS,
        **_DB_CONSTRAINTS,
    }

    def __init__(
        self,
        *,
        sr: float | None = None,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = False,
        norm: str | float | None = "slaney",
        db: bool = False,
        top_db: float | None = 80.0,
        ref: float | str = 1.0,
        dtype: Any = "float64",
        n_jobs: int | None = None,
    ) -> None:
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.power = power
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.htk = htk
        self.norm = norm
        self.db = db
        self.top_db = top_db
        self.ref = ref
        self.dtype = dtype
        self.n_jobs = n_jobs

    def _basis(self, sr: int) -> np.ndarray | None:
        return mel_basis(
            sr, self.n_fft, self.n_mels, float(self.fmin), self.fmax, self.htk, self.norm
        )


class MFCC(MelSpectrogram):
    """Mel-frequency cepstral coefficients, equal to ``librosa.feature.mfcc``.

    The log-power Mel spectrogram (``librosa.power_to_db`` with ``top_db``,
    per clip) followed by a DCT over the Mel bands and optional liftering.

    Parameters
    ----------
    sr : int or None, default=None
        Sample rate of the waveforms; ``None`` adopts the rate they carry
        (an error when they carry none).
    n_mfcc : int, default=20
        Coefficients kept.
    dct_type : {1, 2, 3}, default=2
        DCT type.
    dct_norm : "ortho" or None, default="ortho"
        DCT normalisation.
    lifter : float, default=0
        Sinusoidal liftering ``1 + (lifter / 2) sin(pi (k + 1) / lifter)``
        when positive.
    n_fft : int, default=2048
        FFT size.
    hop_length : int, default=512
        Samples between frames.
    win_length : int or None, default=None
        Window length (``n_fft`` when None).
    window : str, default="hann"
        Window name.
    center : bool, default=True
        Centre frames by padding ``n_fft // 2`` samples on both sides.
    pad_mode : {"constant", "reflect", "edge"}, default="constant"
        Padding used when ``center``.
    power : float, default=2.0
        Exponent of the magnitude before the filterbank.
    n_mels : int, default=128
        Mel bands, at least ``n_mfcc``.
    fmin : float, default=0.0
        Lowest band edge (Hz).
    fmax : float or None, default=None
        Highest band edge (``sr / 2`` when None).
    htk : bool, default=False
        Use the HTK Mel formula instead of Slaney's.
    norm : "slaney", float or None, default="slaney"
        Filter normalisation, as in ``librosa.filters.mel``.
    top_db : float or None, default=80.0
        Floor of the log-Mel spectrum, per clip.
    dtype : {"float64", "float32"} or numpy float type, default="float64"
        Working precision of the window, FFT and filterbank (the output is
        float32 either way), as in :class:`MelSpectrogram`.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): blocks of clips, in threads
        (the values do not depend on it). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.

    Attributes
    ----------
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate.

    See Also
    --------
    MelSpectrogram : The Mel spectrum the coefficients are computed from.
    audiosk.features.Deltas : Add the coefficients' first and second time differences.
    audiosk.features.TemporalStats : Summarise the coefficients over time.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import MFCC
    >>> X = np.random.default_rng(0).normal(size=(3, 8000)).astype(np.float32)
    >>> MFCC(sr=8000, n_mfcc=13, n_fft=512, hop_length=256).fit_transform(X).shape
    (3, 13, 32)
    """

    _parameter_constraints: dict[str, Any] = {
        **_STFT_CONSTRAINTS,
        **_MEL_CONSTRAINTS,
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "dct_type": [StrOptions({"1", "2", "3"}), Interval(Integral, 1, 3, closed="both")],
        "dct_norm": [StrOptions({"ortho"}), None],
        "lifter": [Interval(Real, 0, None, closed="left")],
        "top_db": [Interval(Real, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        *,
        sr: float | None = None,
        n_mfcc: int = 20,
        dct_type: int = 2,
        dct_norm: str | None = "ortho",
        lifter: float = 0,
        n_fft: int = 2048,
        hop_length: int = 512,
        win_length: int | None = None,
        window: str = "hann",
        center: bool = True,
        pad_mode: str = "constant",
        power: float = 2.0,
        n_mels: int = 128,
        fmin: float = 0.0,
        fmax: float | None = None,
        htk: bool = False,
        norm: str | float | None = "slaney",
        top_db: float | None = 80.0,
        dtype: Any = "float64",
        n_jobs: int | None = None,
    ) -> None:
        self.sr = sr
        self.n_mfcc = n_mfcc
        self.dct_type = dct_type
        self.dct_norm = dct_norm
        self.lifter = lifter
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.win_length = win_length
        self.window = window
        self.center = center
        self.pad_mode = pad_mode
        self.power = power
        self.n_mels = n_mels
        self.fmin = fmin
        self.fmax = fmax
        self.htk = htk
        self.norm = norm
        self.top_db = top_db
        self.dtype = dtype
        self.n_jobs = n_jobs

    def _check_settings(self, sr: int) -> None:
        super()._check_settings(sr)
        if self.n_mfcc > self.n_mels:
            raise ValueError(
                f"MFCC: n_mfcc={self.n_mfcc} coefficients need at least as many Mel bands; "
                f"got n_mels={self.n_mels}. Raise n_mels or lower n_mfcc."
            )

    def _post(self) -> tuple[Callable[[np.ndarray], np.ndarray] | None, int | None]:
        top_db, n_mfcc, dct_type, norm, lifter = (
            self.top_db,
            self.n_mfcc,
            int(self.dct_type),
            self.dct_norm,
            self.lifter,
        )

        def cepstrum(S: np.ndarray) -> np.ndarray:
            to_db(S[None], power=2.0, ref=1.0, top_db=top_db, out=S[None])
            return mfcc_from_log_mel(
                S, n_mfcc=n_mfcc, dct_type=dct_type, norm=norm, lifter=lifter, axis=0
            )

        return cepstrum, n_mfcc


def mfcc_from_log_mel(
    log_mel: np.ndarray,
    *,
    n_mfcc: int = 20,
    dct_type: int = 2,
    norm: str | None = "ortho",
    lifter: float = 0,
    axis: int = -2,
) -> np.ndarray:
    """DCT of a log-Mel spectrum and liftering, as in ``librosa.feature.mfcc``.

    Parameters
    ----------
    log_mel : ndarray
        Log-power Mel spectra; the Mel bands lie along ``axis``.
    n_mfcc, dct_type, norm, lifter
        As in :class:`MFCC`.
    axis : int, default=-2
        Axis of the Mel bands.

    Returns
    -------
    M : ndarray, float32
        ``log_mel`` with ``axis`` replaced by ``n_mfcc`` coefficients.
    """
    M = scipy.fft.dct(log_mel, axis=axis, type=dct_type, norm=norm)
    M = np.take(M, np.arange(n_mfcc), axis=axis)
    if lifter > 0:
        shape = [1] * M.ndim
        shape[axis] = n_mfcc
        lift = 1 + (lifter / 2) * np.sin(np.pi * np.arange(1, 1 + n_mfcc) / lifter)
        M = M * lift.reshape(shape)
    coefficients: np.ndarray = M.astype(np.float32, copy=False)
    return coefficients
