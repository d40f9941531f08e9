"""The STFT -> power -> filterbank core shared by every spectral transformer.

Each clip is cut into blocks of frames of a fixed size. A block is windowed
into one reused buffer (edge frames read the clip's padding in place, so the
input is never copied), transformed by one ``scipy.fft.rfft`` call, and its
power is projected through a sparse filterbank straight into the clip's
columns of the output, which is allocated once, frequency-major
``(n_clips, n_bins, n_frames)``. The blocks depend only on the clip, so the
values do not depend on how clips are batched or on ``n_jobs``; threads share
whole clips. Clips of different lengths (:func:`stft_power_ragged`) share
blocks instead, the frames of consecutive clips packed one after the other,
so that every block and FFT call has one size; each frame is still
windowed, transformed and projected on its own.

``dtype="float64"`` windows and transforms in float64, as librosa does,
so that values far below the maximum (which a dB scale shows) keep full
relative accuracy; ``"float32"`` keeps the whole path in float32 (about 40 %
less time, within 0.05 dB of librosa). No step calls BLAS, so no thread limit
is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.fft
import scipy.sparse

from ._kernels import project_power, windowed_frames

#: Samples of windowed frames transformed at once (64 frames of 2048): the buffer
#: and its spectrum stay in cache. Fixed, so that the blocks never depend on the batch.
BLOCK_SAMPLES = 2**17

#: Samples of windowed frames per block when frames of several clips are packed together:
#: half of BLOCK_SAMPLES, measured faster (bench_ragged.py), as every block is full.
PACK_SAMPLES = 2**16

DTYPES = {"float64": np.float64, "float32": np.float32}

#: CSR arrays ``(indptr, indices, data)`` of an ``(n_bins, n_freq)`` filterbank.
SparseBasis = tuple[np.ndarray, np.ndarray, np.ndarray]


@lru_cache(maxsize=32)
def fft_window(window: str, win_length: int, n_fft: int) -> np.ndarray:
    """Librosa's periodic window, zero-padded to ``n_fft`` and centred (float64)."""
    import librosa

    win = librosa.filters.get_window(window, win_length, fftbins=True)
    win = librosa.util.pad_center(win, size=n_fft)
    win.flags.writeable = False
    return win


@lru_cache(maxsize=32)
def _typed_window(window: str, win_length: int, n_fft: int, dtype: str) -> np.ndarray:
    win = fft_window(window, win_length, n_fft).astype(DTYPES[dtype])
    win.flags.writeable = False
    return win


def sparse_basis(basis: np.ndarray | None, n_freq: int, dtype: str) -> SparseBasis:
    """CSR arrays of a dense ``(n_freq, n_bins)`` filterbank (the identity when None).

    Parameters
    ----------
    basis : ndarray of shape (n_freq, n_bins) or None
        Filterbank, as the dense matrix a spectrum ``(n_frames, n_freq)`` is multiplied by.
    n_freq : int
        ``1 + n_fft // 2``.
    dtype : {"float64", "float32"}
        dtype of the values (the dtype products are taken in).

    Returns
    -------
    indptr, indices, data : ndarray
        The ``(n_bins, n_freq)`` transpose in CSR form.
    """
    # the filterbanks are cached read-only arrays: convert each once (by identity)
    key = (id(basis), n_freq, dtype)
    if basis is not None and basis.flags.writeable:
        return _to_csr(basis, n_freq, dtype)
    if key not in _SPARSE:
        if len(_SPARSE) >= 64:
            _SPARSE.clear()
        _SPARSE[key] = (basis, _to_csr(basis, n_freq, dtype))
    return _SPARSE[key][1]


_SPARSE: dict[tuple[int, int, str], tuple[np.ndarray | None, SparseBasis]] = {}


def _to_csr(basis: np.ndarray | None, n_freq: int, dtype: str) -> SparseBasis:
    if basis is None:
        csr = scipy.sparse.identity(n_freq, dtype=dtype, format="csr")
    else:
        csr = scipy.sparse.csr_array(np.asarray(basis, dtype=dtype).T)
    arrays = (csr.indptr.astype(np.int64), csr.indices.astype(np.int64), csr.data)
    for a in arrays:
        a.flags.writeable = False
    return arrays


@dataclass(frozen=True)
class StftPlan:
    """Everything the STFT needs besides the audio, built once per transform.

    Parameters
    ----------
    n_fft, hop_length, center, pad_mode
        As in ``librosa.stft``.
    window : ndarray of shape (n_fft,)
        The padded window in the working precision (:func:`fft_window`).
    power : float
        Exponent of the magnitude.
    basis : (indptr, indices, data)
        Sparse ``(n_bins, n_freq)`` filterbank (:func:`sparse_basis`).
    """

    n_fft: int
    hop_length: int
    center: bool
    pad_mode: str
    window: np.ndarray
    power: float
    basis: SparseBasis

    @property
    def n_bins(self) -> int:
        """Rows of the output."""
        return len(self.basis[0]) - 1

    def n_frames(self, n_samples: int) -> int:
        """Frames of a clip of ``n_samples``."""
        return n_frames(n_samples, self.n_fft, self.hop_length, self.center)


def stft_plan(
    *,
    n_fft: int,
    hop_length: int,
    win_length: int | None = None,
    window: str = "hann",
    center: bool = True,
    pad_mode: str = "constant",
    power: float = 2.0,
    basis: np.ndarray | None = None,
    dtype: str = "float64",
) -> StftPlan:
    """Build the :class:`StftPlan` of librosa-style settings.

    ``basis`` is a dense ``(1 + n_fft // 2, n_bins)`` filterbank (Mel,
    log-frequency) or None for the full-resolution spectrum.
    """
    win_length = n_fft if win_length is None else win_length
    return StftPlan(
        n_fft=n_fft,
        hop_length=hop_length,
        center=center,
        pad_mode=pad_mode,
        window=_typed_window(window, win_length, n_fft, dtype),
        power=float(power),
        basis=sparse_basis(basis, 1 + n_fft // 2, dtype),
    )


def n_frames(n_samples: int, n_fft: int, hop_length: int, center: bool) -> int:
    """Count the STFT frames of a clip of ``n_samples``."""
    if center:
        return 1 + n_samples // hop_length
    return 1 + (n_samples - n_fft) // hop_length


def clip_spectrogram(x: np.ndarray, plan: StftPlan, out: np.ndarray) -> None:
    """Write the filtered ``|STFT|**power`` of one clip into ``out``.

    Parameters
    ----------
    x : ndarray of shape (n_samples,), float32 or float64
        The clip (of any length; at least ``n_fft`` samples without ``center``).
    plan : StftPlan
        Settings.
    out : ndarray of shape (n_bins, n_frames), float32, C-contiguous
        Written in place; ``n_frames`` is ``plan.n_frames(n_samples)``.
    """
    x = np.ascontiguousarray(x)
    n_fft, hop = plan.n_fft, plan.hop_length
    total = out.shape[1]
    per_block = max(1, BLOCK_SAMPLES // n_fft)
    buffer = np.empty((min(per_block, total), n_fft), dtype=plan.window.dtype)
    first = -(n_fft // 2) if plan.center else 0
    for f0 in range(0, total, per_block):
        frames = buffer[: min(per_block, total - f0)]
        windowed_frames(x, first + f0 * hop, hop, plan.window, plan.pad_mode, frames)
        spec = scipy.fft.rfft(frames, axis=-1, overwrite_x=True)
        project_power(spec, plan.power, plan.basis, out, f0)


def stft_power(
    X: np.ndarray,
    plan: StftPlan,
    *,
    post: Callable[[np.ndarray], np.ndarray] | None = None,
    n_out: int | None = None,
    n_jobs: int | None = None,
) -> np.ndarray:
    """Compute the filtered ``|STFT|**power`` of equal-length clips, frequency-major.

    Parameters
    ----------
    X : ndarray of shape (n_clips, n_samples)
        Waveforms (float32 or float64); read in place.
    plan : StftPlan
        Settings (:func:`stft_plan`).
    post : callable or None, default=None
        Applied to each clip's ``(n_bins, n_frames)`` float32 spectrum as soon
        as it is computed (decibels, a DCT); returns the clip's
        ``(n_out, n_frames)`` output and may work in place.
    n_out : int or None, default=None
        Rows ``post`` returns (``n_bins`` when None).
    n_jobs : int or None, default=None
        Threads over clips, as joblib counts them (``None``: 1 unless in a
        ``joblib.parallel_config`` context; ``-1``: all cores).

    Returns
    -------
    S : ndarray of shape (n_clips, n_out, n_frames), float32

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._stft import stft_plan, stft_power
    >>> stft_power(np.zeros((2, 4096)), stft_plan(n_fft=1024, hop_length=256)).shape
    (2, 513, 17)
    """
    n_clips, n_samples = X.shape
    if not plan.center and n_samples < plan.n_fft:
        raise ValueError(
            f"center=False needs clips of at least n_fft={plan.n_fft} samples; got {n_samples}."
        )
    n_out = plan.n_bins if n_out is None else n_out
    out = np.empty((n_clips, n_out, plan.n_frames(n_samples)), dtype=np.float32)
    _each(n_clips, lambda i: _clip_output(X[i], plan, post, out[i]), n_jobs)
    return out


def stft_power_ragged(
    clips: list[np.ndarray],
    plan: StftPlan,
    *,
    post: Callable[[np.ndarray], np.ndarray] | None = None,
    n_out: int | None = None,
    n_jobs: int | None = None,
) -> list[np.ndarray]:
    """Compute :func:`stft_power` of clips of any lengths, one array per clip.

    The frames of consecutive clips are packed into blocks of one size (a
    short clip shares a block with its neighbours, a long one spans several),
    so every FFT call and buffer has the same shape, as for clips of one
    length. Each frame is windowed, transformed and projected on its own, so
    a clip's values do not depend on the clips it is packed with.

    Parameters
    ----------
    clips : list of ndarray of shape (n_samples_i,)
        Waveforms (float32 or float64); read in place.
    plan, post, n_out, n_jobs
        As in :func:`stft_power`; threads take contiguous runs of clips.

    Returns
    -------
    S : list of ndarray of shape (n_out, n_frames_i), float32
        ``n_frames_i`` is librosa's frame count of clip ``i``; the arrays are
        views of one allocation.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._stft import stft_plan, stft_power_ragged
    >>> S = stft_power_ragged([np.zeros(4096), np.zeros(1024)], stft_plan(n_fft=512, hop_length=256))
    >>> [s.shape for s in S]
    [(257, 17), (257, 5)]
    """
    if not plan.center:
        short = [i for i, x in enumerate(clips) if len(x) < plan.n_fft]
        if short:
            raise ValueError(
                f"center=False needs clips of at least n_fft={plan.n_fft} samples; clip "
                f"{short[0]} has {len(clips[short[0]])} ({len(short)} clips are shorter)."
            )
    n_out = plan.n_bins if n_out is None else n_out
    frames = [plan.n_frames(len(x)) for x in clips]
    out = _views(n_out, frames)
    # the filtered spectra go straight to the output unless post changes the number of rows
    raw = out if n_out == plan.n_bins else _views(plan.n_bins, frames)
    workers = _n_workers(n_jobs, len(clips))
    bounds = np.searchsorted(np.cumsum(frames), np.linspace(0, sum(frames), workers + 1)[1:-1])
    runs = np.split(np.arange(len(clips)), bounds)

    def run(k: int) -> None:
        _pack_frames([clips[i] for i in runs[k]], [raw[i] for i in runs[k]], plan)
        if post is None:
            return
        for i in runs[k]:
            result = post(raw[i])
            if result is not out[i]:
                out[i][...] = result

    _each(len(runs), run, n_jobs)
    return out


def _views(n_rows: int, frames: list[int]) -> list[np.ndarray]:
    """C-contiguous ``(n_rows, f)`` float32 arrays for each ``f``, views of one allocation.

    Many small fresh arrays would cost a page fault per page first written,
    about as much as the transform itself.
    """
    ends = np.cumsum([0] + [n_rows * f for f in frames])
    flat = np.empty(int(ends[-1]), dtype=np.float32)
    return [
        flat[a:b].reshape(n_rows, f) for a, b, f in zip(ends[:-1], ends[1:], frames, strict=True)
    ]


def _pack_frames(clips: list[np.ndarray], raw: list[np.ndarray], plan: StftPlan) -> None:
    """Write each clip's filtered ``|STFT|**power`` into ``raw[i]`` through blocks of one size."""
    n_fft, hop = plan.n_fft, plan.hop_length
    per_block = max(1, PACK_SAMPLES // n_fft)
    total = sum(r.shape[1] for r in raw)
    buffer = np.empty((min(per_block, total), n_fft), dtype=plan.window.dtype)
    first = -(n_fft // 2) if plan.center else 0
    pending: list[tuple[int, int, int, int]] = []  # (clip, first frame, rows start, rows end)
    row = 0

    def flush() -> None:
        spec = scipy.fft.rfft(buffer[:row], axis=-1, overwrite_x=True)
        for i, f0, r0, r1 in pending:
            project_power(spec[r0:r1], plan.power, plan.basis, raw[i], f0)
        pending.clear()

    for i, x in enumerate(clips):
        x = np.ascontiguousarray(x)
        n_frames, f0 = raw[i].shape[1], 0
        while f0 < n_frames:
            take = min(n_frames - f0, per_block - row)
            rows = buffer[row : row + take]
            windowed_frames(x, first + f0 * hop, hop, plan.window, plan.pad_mode, rows)
            pending.append((i, f0, row, row + take))
            row, f0 = row + take, f0 + take
            if row == per_block:
                flush()
                row = 0
    if row:
        flush()


def _clip_output(
    x: np.ndarray,
    plan: StftPlan,
    post: Callable[[np.ndarray], np.ndarray] | None,
    target: np.ndarray,
) -> None:
    """Write one clip's spectrum, after ``post``, into ``target`` ``(n_out, n_frames)``."""
    n_bins = plan.n_bins
    S = target if len(target) == n_bins else np.empty((n_bins, target.shape[1]), np.float32)
    clip_spectrogram(x, plan, S)
    if post is not None:
        result = post(S)
        if result is not target:
            target[...] = result


def _each(n_tasks: int, task: Callable[[int], None], n_jobs: int | None) -> None:
    """Run ``task(i)`` for every ``i`` below ``n_tasks``, in threads when ``n_jobs`` asks."""
    workers = _n_workers(n_jobs, n_tasks)
    if workers == 1:
        for i in range(n_tasks):
            task(i)
    else:
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(task, range(n_tasks)))


def _n_workers(n_jobs: int | None, n_tasks: int) -> int:
    """Threads for ``n_tasks`` tasks: joblib's reading of ``n_jobs`` (its context for None)."""
    from joblib import effective_n_jobs

    return max(1, min(int(effective_n_jobs(n_jobs)), n_tasks))


def to_db(
    S: np.ndarray,
    *,
    power: float,
    ref: float | str,
    top_db: float | None,
    out: np.ndarray | None = None,
) -> np.ndarray:
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
    out : ndarray or None, default=None
        Where to write the result (``S`` itself converts in place).

    Returns
    -------
    S_db : ndarray, float32, same shape as ``S``

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._stft import to_db
    >>> to_db(np.float32([[1.0, 0.01, 1e-12]]), power=2.0, ref=1.0, top_db=None).round(3)
    array([[   0.,  -20., -100.]], dtype=float32)
    """
    scale = 20.0 / power
    amin = 1e-10 ** (power / 2.0)
    out = np.maximum(S, np.float32(amin), out=out)
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
