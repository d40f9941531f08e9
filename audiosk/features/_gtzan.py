"""The GTZAN descriptor set: ``length`` and the 57 features of the published GTZAN table, fast."""

from __future__ import annotations

from functools import lru_cache
from numbers import Integral
from typing import Any, Self

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin

from ..utils._parallel import parallel_map
from ..utils._sklearn_compat import Interval, StrOptions
from ..utils._waveforms import check_audio
from ._kernels import harmonic_part, median_filter_axis0, peak_pitches, rms_zcr, spectral_shape
from ._spectral import mel_basis, mfcc_from_log_mel
from ._stft import fft_window, to_db

__all__ = ["GTZANFeatures", "GTZAN_COLUMNS"]

_FRAME_FEATURES = [
    "chroma_stft",
    "rms",
    "spectral_centroid",
    "spectral_bandwidth",
    "rolloff",
    "zero_crossing_rate",
    "harmony",
    "perceptr",
]
#: The columns of the GTZAN feature table, in its order (without filename and label).
GTZAN_COLUMNS = (
    ["length"]
    + [f"{f}_{s}" for f in _FRAME_FEATURES for s in ("mean", "var")]
    + ["tempo"]
    + [f"mfcc{i}_{s}" for i in range(1, 21) for s in ("mean", "var")]
)


@lru_cache(maxsize=64)
def _chroma_basis(sr: float, n_fft: int, tuning: float) -> np.ndarray:
    import librosa

    basis = librosa.filters.chroma(sr=sr, n_fft=n_fft, tuning=tuning, n_chroma=12)
    return np.ascontiguousarray(basis.T, dtype=np.float32)  # (n_freq, 12)


@lru_cache(maxsize=16)
def _window_sumsquare(n_frames: int, n_fft: int, hop_length: int) -> np.ndarray:
    import librosa

    wss = librosa.filters.window_sumsquare(
        window="hann",
        n_frames=n_frames,
        win_length=n_fft,
        n_fft=n_fft,
        hop_length=hop_length,
        dtype=np.float32,
    )
    tiny = np.finfo(np.float32).tiny
    return np.where(wss > tiny, 1.0 / np.maximum(wss, tiny), 1.0).astype(np.float32)


def _frames(y: np.ndarray, n_fft: int, hop_length: int, pad_mode: str) -> np.ndarray:
    padded = np.pad(y, n_fft // 2, mode=pad_mode)  # type: ignore[call-overload]  # a checked str
    return sliding_window_view(padded, n_fft)[::hop_length]


def _istft(
    spec: np.ndarray, window: np.ndarray, n_fft: int, hop_length: int, length: int
) -> np.ndarray:
    """Inverse STFT of frame-major ``spec`` (centred frames), like ``librosa.istft``."""
    frames = scipy.fft.irfft(spec, n=n_fft, axis=1) * window
    n_frames = len(frames)
    ratio = n_fft // hop_length
    out = np.zeros((n_frames + ratio - 1) * hop_length, dtype=np.float32)
    grid = out.reshape(-1, hop_length)
    for q in range(ratio):  # overlap-add in n_fft / hop vectorised passes
        grid[q : q + n_frames] += frames[:, q * hop_length : (q + 1) * hop_length]
    out *= _window_sumsquare(n_frames, n_fft, hop_length)
    start = n_fft // 2
    y = out[start : start + length]
    return np.pad(y, (0, length - len(y))) if len(y) < length else y


def _tempo(onset: np.ndarray, sr: float, hop_length: int, ac_size: float = 8.0) -> float:
    """``librosa.feature.tempo`` of an onset envelope, with its tempogram computed in one batch.

    librosa autocorrelates every 8 s window with FFTs of an odd length
    (2 * 344 - 1); the same linear autocorrelation comes from one batched
    real FFT of a fast length. The tempo prior and peak picking are librosa's.
    """
    import librosa

    win = int(librosa.time_to_frames(ac_size, sr=sr, hop_length=hop_length))
    n = len(onset)
    padded = np.pad(onset, win // 2, mode="linear_ramp", end_values=(0, 0))
    frames = sliding_window_view(padded, win)[:n] * librosa.filters.get_window(
        "hann", win, fftbins=True
    )
    size = scipy.fft.next_fast_len(2 * win - 1, real=True)
    spectrum = scipy.fft.rfft(frames, n=size, axis=1)
    tg = scipy.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=size, axis=1)[:, :win]
    tg = librosa.util.normalize(tg, norm=np.inf, axis=1)
    return float(librosa.feature.tempo(tg=tg.T, sr=sr, hop_length=hop_length)[0])


def _mean_var(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.var(x))


def gtzan_features(
    y: np.ndarray,
    sr: float = 22050,
    *,
    n_fft: int = 2048,
    hop_length: int = 512,
    pad_mode: str = "reflect",
    kernel_size: int = 31,
) -> np.ndarray:
    """``length`` and the 57 GTZAN features of one clip, from one shared STFT.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32
        The clip.
    sr : int, default=22050
        Its sample rate.
    n_fft, hop_length : int, default=2048, 512
        STFT size and hop, shared by every frame-wise feature.
    pad_mode : {"reflect", "constant"}, default="reflect"
        Centre padding of the frames; "reflect" is the librosa default the
        published table was computed with (librosa < 0.10).
    kernel_size : int, default=31
        Median filter length of the harmonic/percussive separation.

    Returns
    -------
    values : ndarray of shape (58,), float64
        In the order of :data:`GTZAN_COLUMNS`.
    """
    import librosa

    y = np.ascontiguousarray(y, dtype=np.float32)
    n = len(y)
    window = fft_window("hann", n_fft, n_fft).astype(np.float32)
    spec = scipy.fft.rfft(_frames(y, n_fft, hop_length, pad_mode) * window, axis=1)  # (F, n_freq)
    mag = np.abs(spec)
    power = np.square(mag)
    out = [float(n)]

    # chroma_stft: tuning from the power spectrum's peaks (librosa.estimate_tuning), filterbank,
    # max-normalised per frame
    pitches, mags = peak_pitches(power, sr, n_fft)
    if len(pitches):
        tuning = float(librosa.pitch_tuning(pitches[mags >= np.median(mags)], bins_per_octave=12))
    else:
        tuning = 0.0
    chroma = librosa.util.normalize(
        power @ _chroma_basis(sr, n_fft, round(tuning, 2)), norm=np.inf, axis=1
    )
    out += _mean_var(chroma)

    # rms (reflect-padded frames) and zero-crossing rate (edge-padded frames), one pass
    rms, zcr = rms_zcr(y, n_fft, hop_length, pad_mode)
    out += _mean_var(rms.astype(np.float32))

    # spectral centroid, bandwidth (p=2) and 85 % roll-off from the magnitude, one pass
    for values in spectral_shape(mag, librosa.fft_frequencies(sr=sr, n_fft=n_fft)):
        out += _mean_var(values)

    out += _mean_var(zcr)

    # harmonic/percussive separation: median filters, soft mask, one inverse STFT
    harm = median_filter_axis0(mag, kernel_size)  # along time
    perc = median_filter_axis0(np.ascontiguousarray(mag.T), kernel_size).T  # along frequency
    harmonic = _istft(harmonic_part(spec, harm, perc), window, n_fft, hop_length, n)
    out += _mean_var(harmonic) + _mean_var(y - harmonic)

    # tempo from the median onset strength of the log-Mel spectrum (shared with the MFCC)
    log_mel = to_db(
        (power @ mel_basis(sr, n_fft, 128, 0.0, None, False, "slaney"))[None],
        power=2.0,
        ref=1.0,
        top_db=80.0,
    )[0]
    onset = np.median(np.maximum(0.0, log_mel[1:] - log_mel[:-1]), axis=1)
    onset = np.pad(onset, (1 + n_fft // (2 * hop_length), 0))[: len(log_mel)]
    tempo = _tempo(onset, sr, hop_length) if onset.any() else 0.0
    out.append(tempo)

    mfcc = mfcc_from_log_mel(log_mel, n_mfcc=20, axis=1)
    for i in range(20):
        out += _mean_var(mfcc[:, i])
    return np.asarray(out, dtype=np.float64)


class GTZANFeatures(TransformerMixin, BaseEstimator):
    """The GTZAN descriptor table: ``length`` and 57 features per clip, as published.

    ``length``, the mean and variance over frames of chroma_stft, rms,
    spectral centroid, bandwidth and roll-off, zero-crossing rate, the
    harmonic and percussive signals of a harmonic/percussive separation,
    the tempo, and the mean and variance of 20 MFCCs: the columns of the
    Kaggle "GTZAN Dataset" feature table in its order. One STFT per clip
    feeds every spectral feature, the Mel spectrum feeds both the MFCCs and
    the onset strength of the tempo, the median filters of the separation
    are SIMD running medians, and one inverse STFT gives both separated
    signals (the percussive one is the clip minus the harmonic one).

    Agreement with the published table (``../shared/data/gtzan``, 4 tracks,
    tested): within 1 % for every column except the near-zero means
    ``harmony_mean`` and ``perceptr_mean``, which agree within an absolute
    2e-5 (their values are ~1e-5 and change sign between librosa versions),
    and ``tempo``, which may differ by a tempo octave (x2 or x1/2).

    Parameters
    ----------
    sr : int or None, default=None
        Sample rate of the waveforms; ``None`` takes the rate they carry (as
        :class:`~audiosk.io.AudioLoader` returns them), and plain arrays then
        need ``sr``. The published table was computed at 22,050 Hz: load the
        audio at that rate to compare with it. At least 4,000 Hz: below, most
        of the 128 Mel bands and the chroma bins have no FFT bin.
    pad_mode : {"reflect", "constant"}, default="reflect"
        Frame padding; "reflect" reproduces the table (librosa < 0.10),
        "constant" equals the current librosa defaults.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): clips, in threads.
        ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    verbose : int, default=0
        Progress bar over clips.

    Attributes
    ----------
    sample_rate_ : int
        Rate of the waveforms seen at fit (carried by them, or ``sr``); after
        fit, waveforms carrying another rate are refused and plain arrays are
        taken at this rate. The step also works unfitted.

    See Also
    --------
    audiosk.datasets.fetch_gtzan_features : The published table these columns reproduce.
    audiosk.extraction.extract_features : Compute it for many files (``extractor="gtzan"``).
    audiosk.features.AudioDescriptors : A larger panel of MFCC and spectral statistics.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import GTZANFeatures
    >>> t = np.arange(3 * 22050) / 22050
    >>> X = np.stack([np.sin(2 * np.pi * 440 * t), np.sign(np.sin(2 * np.pi * 2 * t))]).astype(np.float32)
    >>> table = GTZANFeatures(sr=22050).fit(X)
    >>> table.transform(X).shape, list(table.get_feature_names_out()[:3])
    ((2, 58), ['length', 'chroma_stft_mean', 'chroma_stft_var'])
    """

    _parameter_constraints: dict[str, Any] = {
        "sr": [Interval(Integral, 4000, None, closed="left"), None],  # lower: empty bands
        "pad_mode": [StrOptions({"reflect", "constant"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        sr: float | None = None,
        *,
        pad_mode: str = "reflect",
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.sr = sr
        self.pad_mode = pad_mode
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
        self : GTZANFeatures
            The fitted step.
        """
        self._validate_params()
        self._check_audio(X, reset=True)
        return self

    def _check_audio(self, X: Any, *, reset: bool) -> tuple[Any, int]:
        X, sr = check_audio(self, X, reset=reset)
        assert sr is not None  # check_audio raised when the rate is unknown
        if sr < 4000:
            raise ValueError(
                f"GTZANFeatures needs audio at 4000 Hz or more; these waveforms are at {sr} Hz, "
                "where most Mel bands and chroma bins have no FFT bin. Load them at a higher "
                "rate (the published table's is 22050 Hz)."
            )
        return X, sr

    def transform(self, X: Any) -> Any:
        """Compute ``length`` and the 57 features of every clip.

        Parameters
        ----------
        X : list of ndarray of shape (n_samples_i,) or ndarray of shape (n_clips, n_samples)
            Waveforms of any lengths, at ``sample_rate_`` once fitted.

        Returns
        -------
        table : ndarray of shape (n_clips, 58), float64
            One row per clip, columns as ``get_feature_names_out`` names them.
        """
        self._validate_params()
        X, sr = self._check_audio(X, reset=False)
        rows = parallel_map(
            lambda clip: gtzan_features(clip, sr, pad_mode=self.pad_mode),
            list(X),
            n_jobs=self.n_jobs,
            verbose=self.verbose,
            desc="GTZAN features",
        )
        return np.stack(rows)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """Get the table's column names.

        Parameters
        ----------
        input_features : None
            Ignored.

        Returns
        -------
        names : ndarray of str of shape (58,)
            ``length`` then the 57 published columns, in the table's order.
        """
        return np.asarray(GTZAN_COLUMNS, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # nothing is learned: the features of each clip are its own
        return tags
