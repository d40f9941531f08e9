"""Audio decoding: :func:`load_audio`, :class:`AudioLoader` and :class:`AudioLoadError`.

Formats are recognised from the file's content, never from its name:
libsndfile (through soundfile) decodes WAV, FLAC, OGG/Vorbis, AIFF, AU and,
in recent builds, MP3; MP3 and MP4/M4A fall back on ``audioread`` (which needs
FFmpeg or GStreamer) when libsndfile cannot read them. Values equal
``librosa.load`` for the same arguments: the same reader, mono mixdown and
resampler (``soxr_hq``).
"""

# Past 400 lines because both decoders, their error reporting and the loader step belong
# together; docstrings are a third of it.

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from numbers import Integral, Real
from typing import Any, Self

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin

from .containers import Waveforms
from .utils._base import ArrayOutputMixin, AudioskWarning
from .utils._parallel import parallel_map
from .utils._sklearn_compat import Interval, RealInterval, StrOptions, validate_params

PathLike = str | os.PathLike[str]

__all__ = ["AudioLoadError", "AudioLoadWarning", "AudioLoader", "load_audio"]


class AudioLoadError(OSError):
    """A file could not be decoded as audio.

    Raised for a missing path, a directory, an empty or truncated file,
    content that is not audio, a file without frames, or samples that are NaN
    or infinite. The message names the file and the cause.

    Parameters
    ----------
    path : str or os.PathLike[str]
        The file.
    reason : str
        What is wrong and, where possible, what to do.

    Attributes
    ----------
    path : str
        The file, as given.
    reason : str
        The cause.

    See Also
    --------
    load_audio : Raises it for a file it cannot decode.
    AudioLoader : Raises it, or with ``on_error="silence"`` warns instead.

    Examples
    --------
    >>> from audiosk.io import AudioLoadError, load_audio
    >>> try:
    ...     load_audio("no/such/file.wav")
    ... except AudioLoadError as err:
    ...     print(err.reason)
    no such file
    """

    def __init__(self, path: PathLike, reason: str):
        self.path = os.fspath(path)
        self.reason = reason
        super().__init__(f"Cannot load audio from '{self.path}': {reason}")

    def __str__(self) -> str:
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.path, self.reason))


class AudioLoadWarning(AudioskWarning):
    """Files were replaced by silence because they could not be loaded.

    :class:`AudioLoader` with ``on_error="silence"`` emits one such warning
    per ``transform`` that met unreadable files; its message lists them and
    ``failures`` holds them for code.

    Parameters
    ----------
    message : str
        The warning's text.
    failures : sequence of (str, str), default=()
        ``(path, reason)`` for every file that failed.

    Attributes
    ----------
    failures : list of (str, str)
        ``(path, reason)`` for every file that failed.

    See Also
    --------
    AudioLoadError : The error each failed file raised.

    Examples
    --------
    >>> import warnings
    >>> from audiosk.io import AudioLoader, AudioLoadWarning
    >>> loader = AudioLoader(duration=0.5, on_error="silence")
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     waves = loader.fit_transform(["no/such/file.wav"])
    >>> caught[0].category is AudioLoadWarning, caught[0].message.failures
    (True, [('no/such/file.wav', 'no such file')])
    >>> waves[0].shape
    (11025,)
    """

    def __init__(self, message: str, failures: Sequence[tuple[str, str]] = ()):
        super().__init__(message)
        self.failures = list(failures)


def _sniff(path: str | os.PathLike[str]) -> str:
    """Name the container from the first bytes: 'mp3', 'mp4' or ''."""
    with open(path, "rb") as fh:
        head = fh.read(12)
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp":
        return "mp4"
    return ""


class _TooLong(Exception):
    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def _check_length(
    total: float, offset: float, duration: float | None, max_duration: float | None
) -> None:
    """Refuse to decode more than ``max_duration`` seconds (before any sample is read)."""
    wanted = max(0.0, total - offset)
    if duration is not None:
        wanted = min(wanted, duration)
    if max_duration is not None and wanted > max_duration:
        raise _TooLong(wanted)


class _OffsetPastEnd(Exception):
    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def _read_soundfile(
    path: Any, offset: float, duration: float | None, max_duration: float | None = None
) -> tuple[np.ndarray, int]:
    """Decode with libsndfile exactly as ``librosa.load`` does."""
    import soundfile as sf

    with sf.SoundFile(path) as f:
        sr_native = f.samplerate
        if offset and int(offset * sr_native) >= f.frames:
            raise _OffsetPastEnd(f.frames / sr_native)
        _check_length(f.frames / sr_native, offset, duration, max_duration)
        if offset:
            f.seek(int(offset * sr_native))
        frames = int(duration * sr_native) if duration is not None else -1
        y = f.read(frames=frames, dtype="float32", always_2d=False).T
        info = f.extra_info
    if "(should be" in info and "data" in info:
        warnings.warn(
            f"'{os.fspath(path)}' is shorter than its header declares (truncated "
            "file?); decoded the frames present.",
            AudioskWarning,
            stacklevel=4,
        )
    return y, sr_native


def _read_audioread(
    path: Any, offset: float, duration: float | None, max_duration: float | None = None
) -> tuple[np.ndarray, int]:
    """Decode through audioread (FFmpeg, GStreamer, Core Audio) as librosa does."""
    import audioread

    chunks = []
    with audioread.audio_open(os.path.realpath(path)) as f:
        sr_native, n_channels = f.samplerate, f.channels
        if f.duration:
            _check_length(f.duration, offset, duration, max_duration)
        start = int(np.round(sr_native * offset)) * n_channels
        end = (
            np.inf if duration is None else start + int(np.round(sr_native * duration)) * n_channels
        )
        n = 0
        for buf in f:
            frame = np.frombuffer(buf, "<i2").astype(np.float32) / 32768.0
            n_prev, n = n, n + len(frame)
            if n < start:
                continue
            if end < n_prev:
                break
            if end < n:
                frame = frame[: int(end - n_prev)]
            if n_prev <= start <= n:
                frame = frame[start - n_prev :]
            chunks.append(frame)
    y = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)
    if n_channels > 1:
        y = y.reshape((-1, n_channels)).T
    return y, sr_native


def _too_long(path: Any, seconds: float, max_duration: float | None) -> AudioLoadError:
    return AudioLoadError(
        path,
        f"it would decode to {seconds:,.0f} s of audio, more than max_duration={max_duration} s; "
        "raise max_duration (None: no limit), or read a part with offset and duration",
    )


@validate_params(
    {
        "path": [str, os.PathLike],
        "sr": [RealInterval(0, None, closed="neither"), None],
        "mono": ["boolean"],
        "offset": [RealInterval(0, None, closed="left")],
        "duration": [RealInterval(0, None, closed="neither"), None],
        "max_duration": [RealInterval(0, None, closed="neither"), None],
    },
    prefer_skip_nested_validation=True,
)
def load_audio(
    path: PathLike,
    *,
    sr: float | None = 22050,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
    max_duration: float | None = 3600.0,
) -> tuple[np.ndarray, int]:
    """Load an audio file as a float32 waveform, like ``librosa.load``.

    libsndfile decodes the file; MP3 and MP4/M4A that it cannot read go to
    ``audioread``. Channels are averaged when ``mono`` and the result is
    resampled with ``soxr_hq`` when ``sr`` differs from the file's rate.

    Parameters
    ----------
    path : str or os.PathLike[str]
        The file. Its format is recognised from its content, so a FLAC file
        named ``.wav`` or a file without extension loads.
    sr : number or None, default=22050
        Target sample rate; ``None`` keeps the file's own rate.
    mono : bool, default=True
        Average the channels into one.
    offset : float, default=0.0
        Start reading this many seconds into the file.
    duration : float or None, default=None
        Read at most this many seconds.
    max_duration : float or None, default=3600.0
        Refuse, before decoding anything, a file that would give more than
        this many seconds of audio (a mislabelled or corrupt header can
        claim days at a tiny rate, which resampling turns into gigabytes);
        ``None`` for no limit.

    Returns
    -------
    y : ndarray of shape (n_samples,) or (n_channels, n_samples), float32
        The waveform.
    sr : int
        Its sample rate.

    Raises
    ------
    AudioLoadError
        For anything unreadable: missing path, directory, empty file,
        malformed header, non-audio content, no frames, NaN or infinite
        samples, or a compressed format that needs a decoder not installed.

    See Also
    --------
    AudioLoader : Load many files as a pipeline step.

    Examples
    --------
    >>> from audiosk.datasets import load_spoken_digits
    >>> from audiosk.io import load_audio
    >>> path = load_spoken_digits().filenames[0]
    >>> y, sr = load_audio(path, sr=None)
    >>> y.dtype, sr
    (dtype('float32'), 8000)
    """
    import soundfile as sf

    if not os.path.exists(path):
        raise AudioLoadError(path, "no such file")
    if os.path.isdir(path):
        raise AudioLoadError(path, "is a directory, not an audio file")
    if not os.path.isfile(path):
        raise AudioLoadError(path, "is not a regular file")
    if os.path.getsize(path) == 0:
        raise AudioLoadError(path, "the file is empty (0 bytes)")

    try:
        y, sr_native = _read_soundfile(path, offset, duration, max_duration)
    except _TooLong as long:
        raise _too_long(path, long.seconds, max_duration) from None
    except UnicodeEncodeError:  # libsndfile takes names as UTF-8
        raise AudioLoadError(
            path,
            "its name is not valid UTF-8, which the decoder needs; rename the file "
            "(for example with convmv)",
        ) from None
    except _OffsetPastEnd as past:
        raise AudioLoadError(
            path, f"offset={offset} s is past its end (it lasts {past.seconds:.3f} s)"
        ) from None
    except (sf.LibsndfileError, RuntimeError) as sf_error:
        try:
            kind = _sniff(path)
        except OSError as exc:
            raise AudioLoadError(path, f"cannot be read ({exc.strerror or exc})") from None
        if not kind:
            raise AudioLoadError(path, f"not a readable audio file ({sf_error})") from None
        try:
            y, sr_native = _read_audioread(path, offset, duration, max_duration)
        except _TooLong as long:
            raise _too_long(path, long.seconds, max_duration) from None
        except ImportError:
            raise AudioLoadError(
                path,
                f"{kind.upper()} needs a fallback decoder: pip install audioread "
                "and install FFmpeg",
            ) from None
        except Exception as exc:  # audioread's NoBackendError and decode errors
            if type(exc).__name__ == "NoBackendError":
                raise AudioLoadError(
                    path,
                    f"this {kind.upper()} file needs FFmpeg (or GStreamer) for audioread; "
                    "install it, e.g. 'apt install ffmpeg' or 'conda install ffmpeg'",
                ) from None
            raise AudioLoadError(path, f"could not decode {kind.upper()} ({exc})") from None

    if y.shape[-1] == 0:
        where = f" after offset={offset} s" if offset else ""
        raise AudioLoadError(path, f"the file holds no audio frames{where}")
    if not np.isfinite(y).all():
        raise AudioLoadError(path, "the audio contains NaN or infinite samples")

    if mono and y.ndim > 1:
        import librosa

        y = librosa.to_mono(y)
    if sr is not None and sr != sr_native:
        import librosa

        y = librosa.resample(y, orig_sr=sr_native, target_sr=sr, res_type="soxr_hq")
    else:
        sr = sr_native
    return np.ascontiguousarray(y, dtype=np.float32), int(sr)


class AudioLoader(ArrayOutputMixin, TransformerMixin, BaseEstimator):
    """Load audio files: a transformer from paths to waveforms.

    The first step of a pipeline that starts from files. It is stateless:
    ``fit`` only validates the parameters.

    Parameters
    ----------
    sr : int or None, default=22050
        Target sample rate; ``None`` keeps each file's rate (then every file
        must have the same one, since one rate flows through a pipeline).
    mono : bool, default=True
        Mix channels down to one.
    offset : float, default=0.0
        Seconds to skip at the start of each file.
    duration : float or None, default=None
        Read at most this many seconds of each file.
    max_duration : float or None, default=3600.0
        Refuse a file that would decode to more than this many seconds (see
        :func:`load_audio`); ``None`` for no limit.
    on_error : {"raise", "silence"}, default="raise"
        What to do with a file that cannot be loaded. ``"raise"`` raises
        :class:`AudioLoadError`. ``"silence"`` puts zeros in its place (of
        ``duration`` seconds when set, otherwise as long as the median loaded
        clip) and emits one :class:`AudioLoadWarning` listing every failed
        file. A row is never dropped.
    n_jobs : int or None, default=None
        Number of jobs run in parallel (joblib): files decoded, in threads.
        ``None`` means 1 unless in a
        :func:`joblib.parallel_config` context; ``-1`` means one per core.
    verbose : int, default=0
        ``> 0`` shows a progress bar.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: one path per row.

    See Also
    --------
    load_audio : Load one file.
    audiosk.preprocessing.PadTrim : Bring the waveforms to one length.
    audiosk.features.MelSpectrogram : A next step that takes the waveforms.

    Examples
    --------
    >>> from audiosk.datasets import load_spoken_digits
    >>> from audiosk.io import AudioLoader
    >>> digits = load_spoken_digits()
    >>> waves = AudioLoader(sr=8000).fit_transform(digits.filenames[:3])
    >>> len(waves), waves.sr, waves[0].dtype
    (3, 8000, dtype('float32'))
    """

    _parameter_constraints: dict[str, Any] = {
        "sr": [Interval(Real, 0, None, closed="neither"), None],
        "mono": ["boolean"],
        "offset": [Interval(Real, 0, None, closed="left")],
        "duration": [Interval(Real, 0, None, closed="neither"), None],
        "max_duration": [Interval(Real, 0, None, closed="neither"), None],
        "on_error": [StrOptions({"raise", "silence"})],
        "n_jobs": [Integral, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        sr: float | None = 22050,
        *,
        mono: bool = True,
        offset: float = 0.0,
        duration: float | None = None,
        max_duration: float | None = 3600.0,
        on_error: str = "raise",
        n_jobs: int | None = None,
        verbose: int = 0,
    ) -> None:
        self.sr = sr
        self.mono = mono
        self.offset = offset
        self.duration = duration
        self.max_duration = max_duration
        self.on_error = on_error
        self.n_jobs = n_jobs
        self.verbose = verbose

    def fit(self, X: Any, y: Any = None) -> Self:
        """Validate the parameters (the loader learns nothing).

        Parameters
        ----------
        X : sequence of str or os.PathLike[str]
            Paths.
        y : None
            Ignored.

        Returns
        -------
        self : AudioLoader
            The loader.
        """
        self._validate_params()
        self._check_paths(X)
        self.n_features_in_ = 1
        return self

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.requires_fit = False
        return tags

    @staticmethod
    def _check_paths(X: Any) -> list[Any]:
        if isinstance(X, (str, os.PathLike)):
            raise TypeError(
                "AudioLoader expects a sequence of paths, got a single path; wrap it in a list."
            )
        if hasattr(X, "to_numpy"):
            X = X.to_numpy()
        if isinstance(X, np.ndarray) and X.ndim == 2:
            if X.shape[1] != 1:
                raise ValueError(f"AudioLoader expects one path per row, got shape {X.shape}.")
            X = X[:, 0]
        paths = list(X)
        for p in paths:
            if not isinstance(p, (str, os.PathLike)):
                raise TypeError(
                    f"AudioLoader expects file paths, got {type(p).__name__}. "
                    "Waveforms already loaded go straight to the next step."
                )
        return paths

    def _load_one(self, path: Any) -> tuple[Any, Any, Any]:
        try:
            y, sr = load_audio(
                path,
                sr=self.sr,
                mono=self.mono,
                offset=self.offset,
                duration=self.duration,
                max_duration=self.max_duration,
            )
            return y, sr, None
        except AudioLoadError as err:
            if self.on_error == "raise":
                raise
            return None, None, err

    def transform(self, X: Any) -> Any:
        """Load every file.

        Parameters
        ----------
        X : sequence of str or os.PathLike[str], or array of shape (n_clips, 1)
            Paths.

        Returns
        -------
        waveforms : Waveforms of n_clips ndarray of shape (n_samples_i,)
            The float32 waveforms, a list that carries the sample rate as ``.sr``.
        """
        self._validate_params()
        paths = self._check_paths(X)
        results = parallel_map(
            self._load_one, paths, n_jobs=self.n_jobs, verbose=self.verbose, desc="loading"
        )
        sr = self.sr
        if sr is None:
            rates = {rate for _, rate, err in results if err is None}
            if len(rates) > 1:
                raise ValueError(
                    f"AudioLoader(sr=None) found files at several rates {sorted(rates)}; "
                    "set sr to resample them all to one rate."
                )
            sr = rates.pop() if rates else None
        failures = [(err.path, err.reason) for _, _, err in results if err is not None]
        waves = [y for y, _, _ in results]
        if failures:
            lengths = [len(w) for w in waves if w is not None]
            if self.duration is not None and sr is not None:
                n = int(self.duration * sr)
            else:
                n = int(np.median(lengths)) if lengths else int(sr or 22050)
            waves = [w if w is not None else np.zeros(n, dtype=np.float32) for w in waves]
            listing = "\n".join(f"  {p}: {r}" for p, r in failures)
            warnings.warn(
                AudioLoadWarning(
                    f"{len(failures)} of {len(paths)} files could not be loaded and were "
                    f"replaced by {n} samples of silence:\n{listing}",
                    failures,
                ),
                stacklevel=2,
            )
        return Waveforms(waves, sr=None if sr is None else int(sr))
