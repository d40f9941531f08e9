"""The descriptor panel: per-clip statistics of the frame-wise descriptors of one STFT.

Every descriptor of a clip comes from one short-time Fourier transform on the
fast front end (:mod:`._stft`): the filterbank of that transform stacks the
identity (the power spectrum), the Mel filterbank and the chroma filterbank,
so one windowing, one FFT and one sparse projection per frame give the power
spectrum, the Mel spectrum (for the MFCCs) and the raw chroma together. The
magnitude descriptors (centroid, bandwidth, roll-off, contrast, flatness) are
read from that power spectrum; RMS and zero-crossing rate from the waveform,
in one pass over it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from numbers import Integral
from typing import Any, Self

import numpy as np
import scipy.signal
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from ..utils._parallel import parallel_map
from ..utils._sklearn_compat import Interval, Options, StrOptions
from ..utils._waveforms import check_audio
from ._gtzan import _chroma_basis
from ._kernels import rms_zcr, spectral_shape
from ._spectral import mel_basis, mfcc_from_log_mel
from ._stft import DTYPES, StftPlan, clip_spectrogram, stft_plan, to_db

__all__ = ["AudioDescriptors", "frame_settings"]

#: The statistics a column may hold, each over a clip's frames.
STATS = ("mean", "std", "min", "max", "median", "iqr", "p10", "p90", "skew", "kurtosis")
_QUANTILES = {"median": (50,), "p10": (10,), "p90": (90,), "iqr": (25, 75)}
PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
#: Lowest edge (Hz) and most octave bands of the spectral contrast, librosa's defaults.
CONTRAST_FMIN = 200.0
CONTRAST_BANDS = 6
#: Frames of the MFCC deltas' Savitzky-Golay window (librosa.feature.delta's default).
DELTA_WIDTH = 9


def frame_settings(sr: int) -> tuple[int, int]:
    """Choose the STFT size and hop of the descriptors at rate ``sr``: 32 ms, a quarter hop.

    Parameters
    ----------
    sr : int
        Sample rate (Hz).

    Returns
    -------
    n_fft, hop_length : int
        The power of two nearest 32 ms of samples, and a quarter of it.

    Examples
    --------
    >>> from audiosk.features._descriptors import frame_settings
    >>> frame_settings(8000), frame_settings(16000), frame_settings(44100)
    ((256, 64), (512, 128), (1024, 256))
    """
    n_fft = int(2 ** round(np.log2(0.032 * sr)))
    return n_fft, n_fft // 4


def contrast_bands(sr: int) -> int:
    """Octave bands of the spectral contrast: 6, or fewer below ``sr`` = 12,800 Hz.

    librosa refuses a band whose lower edge reaches the Nyquist frequency;
    the bands are ``fmin * 2**k`` Hz wide from 200 Hz, so 8 kHz audio has 5.
    """
    n = CONTRAST_BANDS
    while n > 1 and CONTRAST_FMIN * 2 ** (n - 1) >= sr / 2:
        n -= 1
    return n


@lru_cache(maxsize=16)
def _stacked_basis(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Identity, Mel and chroma filterbanks side by side, ``(n_freq, n_freq + n_mels + 12)``.

    Read-only, so that the front end converts it to sparse rows once.
    """
    n_freq = 1 + n_fft // 2
    mel = mel_basis(sr, n_fft, n_mels, 0.0, None, False, "slaney")
    basis = np.hstack([np.eye(n_freq, dtype=np.float32), mel, _chroma_basis(sr, n_fft, 0.0)])
    basis.flags.writeable = False
    return basis


def _band_rows(sr: int, n_fft: int, n_bands: int) -> list[tuple[int, int, int]]:
    """Each contrast band's first and last FFT bin (exclusive) and its quantile count.

    The bins librosa's ``spectral_contrast`` reads for band ``k``: those between
    its edges, plus the bin below for every band but the first, less the top
    bin for every band but the last, which runs to the Nyquist frequency.
    """
    freq = np.fft.rfftfreq(n_fft, 1 / sr)
    edges = np.zeros(n_bands + 2)
    edges[1:] = CONTRAST_FMIN * 2.0 ** np.arange(n_bands + 1)
    rows = []
    for k in range(n_bands + 1):
        idx = np.flatnonzero((freq >= edges[k]) & (freq <= edges[k + 1]))
        lo = int(idx[0]) - (1 if k > 0 else 0)
        hi = len(freq) if k == n_bands else int(idx[-1]) + 1
        quantile = max(1, int(np.rint(0.02 * (hi - lo))))
        rows.append((lo, hi - 1 if k < n_bands else hi, quantile))
    return rows


def _contrast(mag: np.ndarray, bands: list[tuple[int, int, int]]) -> np.ndarray:
    """``librosa.feature.spectral_contrast`` of a magnitude spectrogram ``(n_freq, n_frames)``.

    Each band's peak and valley are the means of its top and bottom quantiles
    (2 %); both go to decibels as librosa's ``power_to_db`` takes them, each
    floored 80 dB below its own maximum over the clip.
    """
    peak = np.empty((len(bands), mag.shape[1]))
    valley = np.empty_like(peak)
    for k, (lo, hi, q) in enumerate(bands):
        band = mag[lo:hi]
        n = len(band)
        parted = np.partition(band, [q - 1, n - q], axis=0) if n > 1 else band
        valley[k] = parted[:q].mean(axis=0, dtype=np.float64)
        peak[k] = parted[n - q :].mean(axis=0, dtype=np.float64)
    contrast: np.ndarray = _db(peak) - _db(valley)
    return contrast


def _db(x: np.ndarray) -> np.ndarray:
    """``librosa.power_to_db(x)``: ``ref=1``, ``amin=1e-10``, ``top_db=80`` over all of ``x``."""
    db: np.ndarray = 10 * np.log10(np.maximum(x, 1e-10))
    np.maximum(db, db.max() - 80.0, out=db)
    return db


def _flatness(power: np.ndarray) -> np.ndarray:
    """``librosa.feature.spectral_flatness`` of a power spectrogram ``(n_freq, n_frames)``."""
    floored = np.maximum(power, np.float32(1e-10))
    gmean = np.exp(np.mean(np.log(floored), axis=0, dtype=np.float64))
    result: np.ndarray = gmean / np.mean(floored, axis=0, dtype=np.float64)
    return result


def _chroma(raw: np.ndarray) -> np.ndarray:
    """Chroma normalised by each frame's maximum, as ``librosa.feature.chroma_stft``."""
    peak = raw.max(axis=0)
    return raw / np.where(peak < np.finfo(raw.dtype).tiny, 1, peak)


def _deltas(mfcc: np.ndarray, order: int) -> np.ndarray:
    """``librosa.feature.delta`` of every row, order ``order`` (nearest-edge for short clips)."""
    mode = "interp" if mfcc.shape[1] >= DELTA_WIDTH else "nearest"
    result: np.ndarray = scipy.signal.savgol_filter(
        mfcc, DELTA_WIDTH, polyorder=order, deriv=order, axis=-1, mode=mode
    )
    return result


def clip_descriptors(
    y: np.ndarray, sr: int, plan: StftPlan, *, n_mfcc: int, n_mels: int, deltas: int
) -> np.ndarray:
    """Every frame-wise descriptor of one clip, from one STFT.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32 or float64
        The clip, of any length.
    sr : int
        Its sample rate.
    plan : StftPlan
        The STFT, with the stacked filterbank of :func:`_stacked_basis` and power 2.
    n_mfcc, n_mels, deltas : int
        As in :class:`AudioDescriptors`.

    Returns
    -------
    D : ndarray of shape (n_descriptors, n_frames), float64
        Rows in the order of :meth:`AudioDescriptors.descriptor_names`.
    """
    n_freq = 1 + plan.n_fft // 2
    S = np.empty((plan.n_bins, plan.n_frames(len(y))), dtype=np.float32)
    clip_spectrogram(y, plan, S)
    power, mel, raw_chroma = S[:n_freq], S[n_freq : n_freq + n_mels], S[n_freq + n_mels :]
    log_mel = to_db(mel[None], power=2.0, ref=1.0, top_db=80.0)[0]
    mfcc = mfcc_from_log_mel(log_mel, n_mfcc=n_mfcc, axis=0).astype(np.float64)
    mag = np.sqrt(power)
    freqs = np.fft.rfftfreq(plan.n_fft, 1 / sr)
    centroid, bandwidth, rolloff = spectral_shape(np.ascontiguousarray(mag.T), freqs)
    rms, zcr = rms_zcr(y, plan.n_fft, plan.hop_length, "constant")
    rows = [mfcc, *(_deltas(mfcc, k) for k in range(1, deltas + 1))]
    rows += [
        centroid[None],
        bandwidth[None],
        _contrast(mag, _band_rows(sr, plan.n_fft, contrast_bands(sr))),
    ]
    rows += [_flatness(power)[None], rolloff[None], zcr[None], rms[None], _chroma(raw_chroma)]
    return np.concatenate(rows).astype(np.float64, copy=False)


def frame_statistics(D: np.ndarray, stats: Sequence[str]) -> np.ndarray:
    """Statistics of each row over its frames, row-major: every statistic of row 0, then row 1.

    Parameters
    ----------
    D : ndarray of shape (n_rows, n_frames)
        Frame-wise values.
    stats : sequence of str
        Among :data:`STATS`; ``iqr`` is the 75th minus the 25th percentile,
        ``p10``/``p90`` the 10th/90th percentiles (linear interpolation, as
        ``np.percentile``), ``kurtosis`` the excess (0 for a constant row).

    Returns
    -------
    values : ndarray of shape (n_rows * len(stats),), float64

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._descriptors import frame_statistics
    >>> frame_statistics(np.array([[1.0, 2.0, 3.0, 4.0, 5.0]]), ["mean", "median", "iqr", "p90"])
    array([3. , 3. , 2. , 4.6])
    """
    mean = D.mean(axis=1)
    centred = D - mean[:, None]
    squared = centred * centred
    m2 = squared.mean(axis=1)
    columns = {"mean": mean, "std": np.sqrt(m2), "min": D.min(axis=1), "max": D.max(axis=1)}
    quantiles = sorted({q for s in stats for q in _QUANTILES.get(s, ())})
    if quantiles:  # one call for all of them: rows are partitioned, not sorted
        values = dict(zip(quantiles, np.percentile(D, quantiles, axis=1), strict=True))
        columns.update(
            {s: values[_QUANTILES[s][0]] for s in stats if s in ("median", "p10", "p90")}
        )
        if "iqr" in stats:
            columns["iqr"] = values[75] - values[25]
    with np.errstate(divide="ignore", invalid="ignore"):
        if "skew" in stats:
            third = np.mean(squared * centred, axis=1)
            columns["skew"] = np.where(m2 > 0, third / (m2 * np.sqrt(m2)), 0.0)
        if "kurtosis" in stats:
            fourth = np.mean(squared * squared, axis=1)
            columns["kurtosis"] = np.where(m2 > 0, fourth / (m2 * m2) - 3.0, 0.0)
    return np.stack([columns[s] for s in stats], axis=1).ravel()


def _non_finite_clips(X: Any) -> list[int]:
    """Find the float clips holding NaN or infinity, in an array or a list of clips."""
    if isinstance(X, np.ndarray) and X.dtype.kind == "f" and X.ndim == 2:
        return [int(i) for i in np.flatnonzero(~np.isfinite(X.sum(axis=1)))]
    if isinstance(X, (list, tuple)):
        return [
            i
            for i, c in enumerate(X)
            if isinstance(c, np.ndarray) and c.dtype.kind == "f" and not np.isfinite(c.sum())
        ]
    return []


def check_clips(step: Any, X: Any, *, reset: bool) -> tuple[Any, int]:
    """:func:`check_audio` that names the first clip holding NaN or infinity.

    Parameters
    ----------
    step : estimator
        The calling step (its name goes into the messages).
    X : list of ndarray or ndarray of shape (n_clips, n_samples)
        Waveforms.
    reset : bool
        Whether this is ``fit`` (the rate is recorded as ``sample_rate_``).

    Returns
    -------
    X : ndarray of shape (n_clips, n_samples) or list of ndarray
        The float waveforms.
    sr : int
        Their sample rate.
    """
    bad = _non_finite_clips(X)
    if bad:
        more = f" ({len(bad)} clips do)" if len(bad) > 1 else ""
        raise ValueError(
            f"{type(step).__name__}: clip {bad[0]} of X contains NaN or infinity{more}; "
            "describe only finite audio."
        )
    X, sr = check_audio(step, X, reset=reset)
    assert sr is not None  # check_audio raised when the rate is unknown
    return X, sr


class AudioDescriptors(TransformerMixin, BaseEstimator):
    """The descriptor panel: statistics of MFCCs and spectral descriptors, one row per clip.

    For each clip, frame by frame: ``n_mfcc`` MFCCs and their deltas,
    spectral centroid, bandwidth, contrast (one value per octave band),
    flatness and 85 % roll-off, zero-crossing rate, RMS and 12 chroma; then
    statistics of each over the clip's own frames (mean, standard deviation,
    minimum, maximum, skewness and kurtosis by default), so clips of any length give
    one row each, nothing padded. One STFT per clip feeds every spectral
    descriptor (its filterbank stacks the identity, the Mel and the chroma
    filterbanks), on the front end the spectral steps use.

    Each frame-wise descriptor equals librosa's with the same frames
    (``n_fft``, ``hop_length``, Hann window, centred, zero-padded):
    ``feature.mfcc`` (``n_mels`` Slaney bands, ``top_db=80``),
    ``feature.delta`` (width 9; ``mode="nearest"`` for clips of fewer than 9
    frames, where ``"interp"`` cannot fit), ``feature.spectral_centroid``,
    ``spectral_bandwidth``, ``spectral_contrast`` (from 200 Hz; 6 bands, or
    fewer where the Nyquist frequency is lower: 5 at 8 kHz),
    ``spectral_flatness``, ``spectral_rolloff``,
    ``feature.zero_crossing_rate`` and ``feature.rms`` (frames of ``n_fft``)
    and ``feature.chroma_stft`` with ``tuning=0`` (A440; librosa estimates
    the tuning per clip by default).

    Parameters
    ----------
    sr : int or None, default=None
        Sample rate of the waveforms; ``None`` takes the rate they carry (as
        :class:`~audiosk.io.AudioLoader` returns them), and plain arrays then
        need ``sr``. At least 4,000 Hz.
    n_fft : int or None, default=None
        STFT size; ``None`` takes the power of two nearest 32 ms at the
        rate (256 at 8 kHz, 512 at 16 and 22.05 kHz, 1024 at 44.1 kHz).
    hop_length : int or None, default=None
        Samples between frames; ``None`` is ``n_fft // 4``.
    n_mfcc : int, default=20
        MFCCs.
    n_mels : int, default=128
        Mel bands the MFCCs are computed from.
    deltas : int, default=2
        Orders of MFCC derivatives added: 0 none, 1 the deltas, 2 the deltas
        and the delta-deltas.
    stats : sequence of str, default=("mean", "std", "min", "max", "skew", "kurtosis")
        Statistics of every descriptor over a clip's frames, among "mean",
        "std", "min", "max", "median", "iqr" (75th minus 25th percentile),
        "p10", "p90", "skew" and "kurtosis" (excess, 0 for a constant row).
        The defaults were chosen by measurement (``benchmarks/bench_defaults.py
        --stats``: logistic regression, SVC and random forest on four
        datasets): with the delta-deltas, skewness, kurtosis and the extremes
        beat mean and standard deviation alone by 0.04 to 0.08 on average,
        while the median and interquartile range or percentiles added nothing.
    dtype : {"float64", "float32"} or numpy float type, default="float64"
        Working precision of the window, FFT and filterbanks, as in
        :class:`MelSpectrogram`; ``"float32"`` is faster.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): clips, in threads (the
        values do not depend on it). ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    verbose : int, default=0
        Progress bar over clips.

    Attributes
    ----------
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate. The step also works unfitted.
    n_fft_, hop_length_ : int
        The STFT size and hop used at ``sample_rate_``.

    See Also
    --------
    GTZANFeatures : The 57 descriptors of the published GTZAN table.
    OpenSMILEFeatures : The feature sets of openSMILE (eGeMAPS, ComParE).

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import AudioDescriptors
    >>> t = np.arange(8000) / 8000
    >>> clips = [np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 880 * t[:3000])]
    >>> panel = AudioDescriptors(sr=8000).fit(clips)
    >>> table = panel.transform(clips)
    >>> table.shape, table.dtype
    ((2, 504), dtype('float32'))
    >>> names = list(panel.get_feature_names_out())
    >>> names[:3]
    ['mfcc1_mean', 'mfcc1_std', 'mfcc1_min']
    >>> table[:, names.index("spectral_centroid_mean")].round(-1)
    array([440., 880.], dtype=float32)
    """

    _parameter_constraints: dict[str, Any] = {
        "sr": [Interval(Integral, 4000, None, closed="left"), None],
        "n_fft": [Interval(Integral, 16, None, closed="left"), None],
        "hop_length": [Interval(Integral, 1, None, closed="left"), None],
        "n_mfcc": [Interval(Integral, 1, None, closed="left")],
        "n_mels": [Interval(Integral, 1, None, closed="left")],
        "deltas": [Interval(Integral, 0, 2, closed="both")],
        "stats": [list, tuple],
        "dtype": [StrOptions(set(DTYPES)), Options(type, {np.float32, np.float64})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        sr: float | None = None,
        *,
        n_fft: int | None = None,
        hop_length: int | None = None,
        n_mfcc: int = 20,
        n_mels: int = 128,
        deltas: int = 2,
        stats: Sequence[str] = ("mean", "std", "min", "max", "skew", "kurtosis"),
        dtype: Any = "float64",
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.sr = sr
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_mfcc = n_mfcc
        self.n_mels = n_mels
        self.deltas = deltas
        self.stats = stats
        self.dtype = dtype
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> Self:
        """Validate the parameters and the input, and record the sample rate.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths.
        y : None
            Ignored.

        Returns
        -------
        self : AudioDescriptors
            The step, with ``sample_rate_``, ``n_fft_`` and ``hop_length_``.
        """
        self._validate_params()
        _, sr = self._check(X, reset=True)
        self.n_fft_, self.hop_length_ = self._frames(sr)
        return self

    def _check(self, X: Any, *, reset: bool) -> tuple[Any, int]:
        """Check the settings that relate to each other, and the input."""
        stats = [str(s) for s in self.stats]
        unknown = sorted(set(stats) - set(STATS))
        if unknown or not stats or len(set(stats)) != len(stats):
            raise ValueError(
                f"AudioDescriptors: stats={stats} must name distinct statistics among "
                f"{list(STATS)}; {unknown or 'a repeated or empty list'} is not."
            )
        if self.n_mfcc > self.n_mels:
            raise ValueError(
                f"AudioDescriptors: n_mfcc={self.n_mfcc} coefficients need at least as many "
                f"Mel bands; got n_mels={self.n_mels}. Raise n_mels or lower n_mfcc."
            )
        X, sr = check_clips(self, X, reset=reset)
        if sr < 4000:
            raise ValueError(
                f"AudioDescriptors needs audio at 4000 Hz or more; these waveforms are at "
                f"{sr} Hz, where the Mel bands, chroma and contrast bands have no FFT bins. "
                "Load them at a higher rate."
            )
        return X, sr

    def _frames(self, sr: int) -> tuple[int, int]:
        n_fft = frame_settings(sr)[0] if self.n_fft is None else int(self.n_fft)
        return n_fft, n_fft // 4 if self.hop_length is None else int(self.hop_length)

    def transform(self, X: Any) -> Any:
        """Describe every clip.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths (at least one sample each), at
            ``sample_rate_`` once fitted.

        Returns
        -------
        table : ndarray of shape (n_clips, n_features), float32
            One row per clip, columns named by :meth:`get_feature_names_out`.
        """
        self._validate_params()
        X, sr = self._check(X, reset=False)
        n_fft, hop = self._frames(sr)
        plan = stft_plan(
            n_fft=n_fft,
            hop_length=hop,
            basis=_stacked_basis(sr, n_fft, self.n_mels),
            dtype=np.dtype(self.dtype).name,
        )
        stats = [str(s) for s in self.stats]
        settings = {"n_mfcc": self.n_mfcc, "n_mels": self.n_mels, "deltas": self.deltas}

        def describe(clip: np.ndarray) -> np.ndarray:
            return frame_statistics(clip_descriptors(clip, sr, plan, **settings), stats)

        rows = parallel_map(
            describe, list(X), n_jobs=self.n_jobs, verbose=self.verbose, desc="descriptors"
        )
        n_columns = len(self._descriptor_names(sr)) * len(stats)
        return np.stack(rows).astype(np.float32) if rows else np.empty((0, n_columns), np.float32)

    def _descriptor_names(self, sr: int) -> list[str]:
        names = [f"mfcc{i}" for i in range(1, self.n_mfcc + 1)]
        for order in range(1, self.deltas + 1):
            suffix = "delta" if order == 1 else f"delta{order}"
            names += [f"mfcc{i}_{suffix}" for i in range(1, self.n_mfcc + 1)]
        names += ["spectral_centroid", "spectral_bandwidth"]
        names += [f"spectral_contrast{k}" for k in range(contrast_bands(sr) + 1)]
        names += ["spectral_flatness", "spectral_rolloff", "zero_crossing_rate", "rms"]
        return names + [f"chroma_{p}" for p in PITCH_CLASSES]

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Get the column names, ``f"{descriptor}_{stat}"``.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (n_features,)
            Descriptor-major: every statistic of ``mfcc1``, then of ``mfcc2``, ...
        """
        check_is_fitted(self, "sample_rate_")
        stats = [str(s) for s in self.stats]
        names = self._descriptor_names(self.sample_rate_)
        return np.asarray([f"{d}_{s}" for d in names for s in stats], dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # nothing is learned: the features of each clip are its own
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags
