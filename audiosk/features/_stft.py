"""Batched STFT core shared by every spectral transformer.

One vectorised path for a 2-D batch ``(n_clips, n_samples)``: frames are
strided views, windowed and transformed by one ``scipy.fft.rfft`` call per
chunk of clips. The FFT runs in float64, as librosa's does, so that values
far below the maximum (which a dB scale shows) keep full relative accuracy;
the result is returned in float32, frame-major ``(n_clips, n_frames, n_freq)``
so that a filterbank is one matrix product.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

#: Samples of float64 frames transformed at once: small enough to stay in cache.
BLOCK_SAMPLES = 2**16


@lru_cache(maxsize=32)
def fft_window(window: str, win_length: int, n_fft: int) -> np.ndarray:
    """Librosa's periodic window, zero-padded to ``n_fft`` and centred (float64)."""
    import librosa

    win = librosa.filters.get_window(window, win_length, fftbins=True)
    win = librosa.util.pad_center(win, size=n_fft)
    win.flags.writeable = False
    return win


def n_frames(n_samples: int, n_fft: int, hop_length: int, center: bool) -> int:
    """Count the STFT frames of a clip of ``n_samples``."""
    if center:
        return 1 + n_samples // hop_length
    return 1 + (n_samples - n_fft) // hop_length


def _power_block(
    frames: np.ndarray, window: np.ndarray, power: float, basis: np.ndarray | None, out: np.ndarray
) -> None:
    """Write |rfft(frames * window)|**power (@ basis) into ``out`` (float32)."""
    spec = scipy.fft.rfft(frames * window, axis=-1)
    if power == 2.0:
        mag = np.square(spec.real)
        mag += np.square(spec.imag)
    else:
        mag = np.abs(spec)
        if power != 1.0:
            mag **= power
    if basis is None:
        out[...] = mag
    else:
        np.matmul(mag.astype(np.float32), basis, out=out)


def stft_power(
    X: np.ndarray,
    *,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    basis: np.ndarray | None = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """|STFT|**power of a batch of equal-length clips, frame-major.

    The frames of all clips are cut into cache-sized blocks (whole clips
    when they are short, runs of frames when they are long), each windowed
    and transformed by one ``rfft`` call; ``n_jobs`` threads share the blocks.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Waveforms.
    n_fft, hop_length, win_length, window, center, pad_mode
        As in ``librosa.stft``.
    power : float, default=2.0
        Exponent of the magnitude (1 for magnitude, 2 for power).
    basis : ndarray of shape (1 + n_fft // 2, n_bins) or None, default=None
        A filterbank (Mel, log-frequency) applied to each block as it is
        computed, so that the full-resolution spectrogram is never stored.
    n_jobs : int or None, default=None
        Threads (``-1``: all cores).

    Returns
    -------
    S : ndarray of shape (n_clips, n_frames, n_bins), float32
        ``n_bins`` is ``1 + n_fft // 2`` without ``basis``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._stft import stft_power
    >>> stft_power(np.zeros((2, 4096)), n_fft=1024, hop_length=256).shape
    (2, 17, 513)
    """
    win_length = n_fft if win_length is None else win_length
    if not center and X.shape[1] < n_fft:
        raise ValueError(
            f"center=False needs clips of at least n_fft={n_fft} samples; got {X.shape[1]}."
        )
    weights = fft_window(window, win_length, n_fft)
    if center:
        X = np.pad(X, [(0, 0), (n_fft // 2, n_fft // 2)], mode=pad_mode)  # type: ignore[call-overload]
    frames = sliding_window_view(X, n_fft, axis=-1)[:, ::hop_length]
    n, F = frames.shape[:2]
    n_bins = 1 + n_fft // 2 if basis is None else basis.shape[1]
    out = np.empty((n, F, n_bins), dtype=np.float32)
    per_block = max(1, BLOCK_SAMPLES // n_fft)
    blocks: list[tuple[Any, Any]]
    if per_block <= F:
        blocks = [
            (np.s_[i], np.s_[f : f + per_block]) for i in range(n) for f in range(0, F, per_block)
        ]
    else:
        step = max(1, per_block // F)
        blocks = [(np.s_[i : i + step], np.s_[:]) for i in range(0, n, step)]

    def run(block: tuple[Any, Any]) -> None:
        _power_block(frames[block], weights, power, basis, out[block])

    # The same blocks, each on one BLAS thread, whatever n_jobs: the values do not
    # depend on n_jobs or on the machine's thread count.
    from threadpoolctl import threadpool_limits

    workers = _n_workers(n_jobs, len(blocks))
    with threadpool_limits(1):
        if workers == 1:
            for block in blocks:
                run(block)
        else:

            def run_share(share: list[tuple[Any, Any]]) -> None:
                for block in share:
                    run(block)

            shares = [blocks[i::workers] for i in range(workers)]
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(run_share, shares))
    return out


def _n_workers(n_jobs: int | None, n_tasks: int) -> int:
    import os

    if n_jobs is None:
        return 1
    cpus = os.cpu_count() or 1
    n = cpus + 1 + n_jobs if n_jobs < 0 else n_jobs
    return max(1, min(n, n_tasks))


def to_db(S: np.ndarray, *, power: float, ref: float | str, top_db: float | None) -> np.ndarray:
    """Convert |STFT|**power to decibels, per clip, like librosa.

    Equals ``librosa.power_to_db`` (``power=2``) or
    ``librosa.amplitude_to_db`` (``power=1``) applied to each clip
    separately, so ``top_db`` and ``ref="max"`` are per-clip.

    Parameters
    ----------
    S : ndarray of shape (n_clips, ...), float32
        Non-negative spectra.
    power : float
        The exponent ``S`` was raised to.
    ref : float or "max"
        Reference value (0 dB), or each clip's maximum.
    top_db : float or None
        Floor at ``max - top_db`` per clip; ``None`` keeps everything.

    Returns
    -------
    S_db : ndarray, float32, same shape as ``S``
    """
    scale = 20.0 / power
    amin = 1e-10 ** (power / 2.0)
    out: np.ndarray = np.maximum(S, np.float32(amin))
    np.log10(out, out=out)
    out *= np.float32(scale)
    axes = tuple(range(1, S.ndim))
    if isinstance(ref, str):
        out -= out.max(axis=axes, keepdims=True)
    else:
        out -= np.float32(scale * np.log10(max(amin, ref)))
    if top_db is not None:
        np.maximum(out, out.max(axis=axes, keepdims=True) - np.float32(top_db), out=out)
    return out
