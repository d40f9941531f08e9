"""Compiled kernels of the GTZAN descriptor set, each equal to the librosa/scipy computation it replaces.

- :func:`median_filter_axis0`: the running median of harmonic/percussive
  separation. scipy's generic rank filter spends about 0.5 s per filter on a
  30 s track; here every lane (column) keeps its window sorted, and one step
  removes the outgoing value and inserts the incoming one with a branch-free
  min/max merge, so the inner loop runs across lanes in SIMD registers
  (about 40x faster). Edges use scipy's ``mode="reflect"`` (``d c b a | a b c d``).
- :func:`harmonic_part`: the spectrum times librosa's ``util.softmask(harm,
  perc, power=2)``, in one pass.
- :func:`spectral_shape`: spectral centroid, bandwidth (p=2) and roll-off of
  every frame in one pass over the magnitudes.
- :func:`peak_pitches`: the peaks ``librosa.piptrack`` finds, for tuning
  estimation, searched only inside its frequency band.
"""

# Past 400 lines because each kernel is written out loop by loop for numba, with the notes on
# how it matches its reference.

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def _median_axis0(X: np.ndarray, k: int, out: np.ndarray) -> None:  # pragma: no cover - compiled
    n, m = X.shape
    h = k // 2
    W = np.empty((k, m), X.dtype)  # sorted window of every lane
    A = np.empty((k + 1, m), X.dtype)  # window without the outgoing value, with sentinels
    tmp = np.empty(k, X.dtype)
    for lane in range(m):
        for j in range(k):
            idx = j - h
            if idx < 0:
                idx = -idx - 1
            while idx >= n or idx < 0:  # windows wider than the signal reflect again
                idx = 2 * n - idx - 1 if idx >= n else -idx - 1
            tmp[j] = X[idx, lane]
        tmp.sort()
        for j in range(k):
            W[j, lane] = tmp[j]
    out[0] = W[h]
    for lane in range(m):
        A[0, lane] = -np.inf
        A[k, lane] = np.inf
    for i in range(1, n):
        o = i - 1 - h
        while o < 0 or o >= n:
            o = -o - 1 if o < 0 else 2 * n - o - 1
        q = i + h
        while q < 0 or q >= n:
            q = -q - 1 if q < 0 else 2 * n - q - 1
        old = X[o]
        new = X[q]
        for j in range(k - 1):
            for lane in range(m):
                w = W[j, lane]
                A[j + 1, lane] = w if w < old[lane] else W[j + 1, lane]
        for j in range(k):
            for lane in range(m):
                lo = A[j, lane]
                v = new[lane]
                v = lo if lo > v else v
                hi = A[j + 1, lane]
                W[j, lane] = v if v < hi else hi
        out[i] = W[h]


def median_filter_axis0(X: np.ndarray, size: int) -> np.ndarray:
    """Median of ``size`` consecutive rows, for every row and column.

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_columns), float32 or float64
        Finite values; filtered along axis 0.
    size : int
        Odd window length.

    Returns
    -------
    out : ndarray of the shape and dtype of ``X``
        Equal to ``scipy.ndimage.median_filter(X, size=(size, 1), mode="reflect")``
        (except for inputs of 2 rows and ``size > 3``, where scipy's repeated
        reflection of so short a signal differs).

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import median_filter_axis0
    >>> median_filter_axis0(np.array([[1.0], [9.0], [2.0], [3.0]]), 3).ravel()
    array([1., 2., 3., 3.])
    """
    if size % 2 != 1:
        raise ValueError(f"median filter size must be odd, got {size}.")
    X = np.ascontiguousarray(X)
    out = np.empty_like(X)
    _median_axis0(X, size, out)
    return out


@numba.njit(cache=True, nogil=True)
def _spectral_shape(
    S: np.ndarray,
    freqs: np.ndarray,
    roll_percent: float,
    centroid: np.ndarray,
    bandwidth: np.ndarray,
    rolloff: np.ndarray,
) -> None:  # pragma: no cover
    tiny = np.finfo(np.float32).tiny
    n_frames, n_freq = S.shape
    for t in range(n_frames):
        row = S[t]
        total = 0.0
        first = 0.0
        second = 0.0
        for k in range(n_freq):
            v = np.float64(row[k])
            total += v
            first += v * freqs[k]
            second += v * freqs[k] * freqs[k]
        if total >= tiny:
            c = first / total
            var = second / total - c * c
            centroid[t] = c
            bandwidth[t] = np.sqrt(var) if var > 0 else 0.0
        else:
            centroid[t] = 0.0
            bandwidth[t] = 0.0
        # librosa: the first bin whose float32 running sum reaches roll_percent of the total
        acc = np.float32(0.0)
        for k in range(n_freq):
            acc += row[k]
        threshold = np.float32(roll_percent * acc)
        acc = np.float32(0.0)
        rolloff[t] = freqs[n_freq - 1]
        for k in range(n_freq):
            acc += row[k]
            if acc >= threshold:
                rolloff[t] = freqs[k]
                break


def spectral_shape(
    S: np.ndarray, freqs: np.ndarray, roll_percent: float = 0.85
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spectral centroid, bandwidth and roll-off of every frame.

    Parameters
    ----------
    S : ndarray of shape (n_frames, n_freq), float32
        Magnitude spectrogram, frame-major.
    freqs : ndarray of shape (n_freq,)
        Bin frequencies (Hz).
    roll_percent : float, default=0.85
        Roll-off energy share.

    Returns
    -------
    centroid, bandwidth, rolloff : ndarray of shape (n_frames,), float64
        As ``librosa.feature.spectral_centroid``, ``spectral_bandwidth``
        (``p=2``) and ``spectral_rolloff`` on ``S.T``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import spectral_shape
    >>> spectral_shape(np.float32([[0, 1, 0, 1]]), np.array([0.0, 100, 200, 300]))
    (array([200.]), array([100.]), array([300.]))
    """
    n = len(S)
    centroid, bandwidth, rolloff = np.empty(n), np.empty(n), np.empty(n)
    _spectral_shape(
        np.ascontiguousarray(S, dtype=np.float32),
        np.asarray(freqs, dtype=np.float64),
        roll_percent,
        centroid,
        bandwidth,
        rolloff,
    )
    return centroid, bandwidth, rolloff


@numba.njit(cache=True, nogil=True)
def _peak_pitches(
    S: np.ndarray,
    ref: np.ndarray,
    k_lo: int,
    k_hi: int,
    ratio: float,
    pitches: np.ndarray,
    mags: np.ndarray,
) -> int:  # pragma: no cover
    count = 0
    n_frames, n_freq = S.shape
    for t in range(n_frames):
        row = S[t]
        r = ref[t]
        for k in range(k_lo, k_hi):
            x0 = row[k] if row[k] > r else np.float32(0.0)
            xm = row[k - 1] if row[k - 1] > r else np.float32(0.0)
            if k + 1 < n_freq:
                xp = row[k + 1] if row[k + 1] > r else np.float32(0.0)
                is_max = x0 > xm and x0 >= xp
            else:
                is_max = x0 > xm
            if not is_max:
                continue
            if k + 1 < n_freq:
                # librosa's parabolic-interpolation stencil, with its arithmetic
                a = row[k + 1] + row[k - 1] - 2 * row[k]
                b = (row[k + 1] - row[k - 1]) / 2
                shift = np.float32(0.0) if np.abs(b) >= np.abs(a) else np.float32(-b / a)
                avg = (row[k + 1] - row[k - 1]) / np.float32(2.0)
            else:
                shift = np.float32(0.0)
                avg = row[k] - row[k - 1]
            pitches[count] = np.float32((k + np.float64(shift)) * ratio)
            mags[count] = row[k] + np.float32(0.5) * avg * shift
            count += 1
    return count


def peak_pitches(
    S: np.ndarray,
    sr: float,
    n_fft: int,
    *,
    fmin: float = 150.0,
    fmax: float = 4000.0,
    threshold: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Pitches and magnitudes of the spectral peaks ``librosa.piptrack`` reports.

    Parameters
    ----------
    S : ndarray of shape (n_frames, n_freq), float32
        Spectrogram, frame-major (``piptrack`` takes its absolute value).
    sr : float
        Sample rate.
    n_fft : int
        FFT size.
    fmin, fmax, threshold : float
        As in ``librosa.piptrack``.

    Returns
    -------
    pitches, mags : ndarray of shape (n_peaks,), float32
        The non-zero entries of ``piptrack``'s outputs, frame by frame.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import peak_pitches
    >>> S = np.zeros((1, 1025), np.float32); S[0, 40:43] = [1, 3, 1]
    >>> peak_pitches(S, 22050, 2048)[0]
    array([441.43066], dtype=float32)
    """
    import librosa

    S = np.ascontiguousarray(np.abs(S), dtype=np.float32)
    freqs = librosa.fft_frequencies(sr=sr, n_fft=n_fft)
    band = np.flatnonzero((max(fmin, 0) <= freqs) & (freqs < min(fmax, sr / 2)))
    if len(band) == 0:
        return np.zeros(0, np.float32), np.zeros(0, np.float32)
    k_lo, k_hi = max(int(band[0]), 1), int(band[-1]) + 1
    ref = np.float32(threshold) * S.max(axis=1)
    size = len(S) * (k_hi - k_lo)
    pitches, mags = np.empty(size, np.float32), np.empty(size, np.float32)
    count = _peak_pitches(S, ref, k_lo, k_hi, float(sr) / n_fft, pitches, mags)
    return pitches[:count], mags[:count]


@numba.njit(cache=True, nogil=True)
def _masked(
    spec: np.ndarray, harm: np.ndarray, perc: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    tiny = np.finfo(np.float32).tiny
    n, m = spec.shape
    for i in range(n):
        for j in range(m):
            x = harm[i, j]
            r = perc[i, j]
            z = x if x > r else r
            if z < tiny:
                out[i, j] = 0
            else:
                a = (x / z) ** 2
                b = (r / z) ** 2
                out[i, j] = spec[i, j] * (a / (a + b))


def harmonic_part(spec: np.ndarray, harm: np.ndarray, perc: np.ndarray) -> np.ndarray:
    """Return the harmonic part of a spectrum: ``spec * librosa.util.softmask(harm, perc, power=2)``.

    Parameters
    ----------
    spec : ndarray of shape (n_frames, n_freq), complex64
        STFT, frame-major.
    harm : ndarray of shape (n_frames, n_freq), float32
        Magnitudes median-filtered along time.
    perc : ndarray of shape (n_frames, n_freq), float32
        Magnitudes median-filtered along frequency.

    Returns
    -------
    harmonic : ndarray of shape (n_frames, n_freq), complex64

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import harmonic_part
    >>> harmonic_part(np.complex64([[2j]]), np.float32([[3]]), np.float32([[4]]))
    array([[0.+0.72j]], dtype=complex64)
    """
    out = np.empty(spec.shape, dtype=np.complex64)
    _masked(
        np.ascontiguousarray(spec, dtype=np.complex64),
        np.ascontiguousarray(harm, dtype=np.float32),
        np.ascontiguousarray(perc, dtype=np.float32),
        out,
    )
    return out


@numba.njit(cache=True, nogil=True)
def _rms_zcr(
    padded_reflect: np.ndarray,
    y: np.ndarray,
    n_fft: int,
    hop: int,
    threshold: float,
    rms: np.ndarray,
    zcr: np.ndarray,
) -> None:  # pragma: no cover - compiled
    n_frames = rms.shape[0]
    # rms: running sum of squares over the reflect-padded signal
    acc = 0.0
    for k in range(n_fft):
        acc += np.float64(padded_reflect[k]) ** 2
    rms[0] = np.sqrt(acc / n_fft)
    for t in range(1, n_frames):
        for k in range((t - 1) * hop, t * hop):
            acc -= np.float64(padded_reflect[k]) ** 2
            acc += np.float64(padded_reflect[k + n_fft]) ** 2
        rms[t] = np.sqrt(max(acc, 0.0) / n_fft)
    # zero crossings of the edge-padded signal, values within threshold counted as positive
    n = y.shape[0]
    half = n_fft // 2
    total = n + 2 * half
    crossing = np.zeros(total, np.uint8)
    prev = False
    for k in range(total):
        idx = min(max(k - half, 0), n - 1)
        v = y[idx]
        neg = v < 0 and -v > threshold
        if k > 0 and neg != prev:
            crossing[k] = 1
        prev = neg
    count = 0
    for k in range(1, n_fft):
        count += crossing[k]
    zcr[0] = count / n_fft
    for t in range(1, n_frames):
        start = t * hop
        for k in range(start - hop + 1, start + 1):
            count -= crossing[k]
        for k in range(start + n_fft - hop, start + n_fft):
            count += crossing[k]
        zcr[t] = count / n_fft


def rms_zcr(
    y: np.ndarray, n_fft: int = 2048, hop_length: int = 512, pad_mode: str = "reflect"
) -> tuple[np.ndarray, np.ndarray]:
    """Frame-wise RMS and zero-crossing rate, as librosa computes them.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), float32
        The clip.
    n_fft, hop_length : int
        Frame length and hop (centred frames).
    pad_mode : str, default="reflect"
        Padding of the RMS frames (the zero-crossing rate always repeats the
        edge samples, as librosa does).

    Returns
    -------
    rms, zcr : ndarray of shape (1 + n_samples // hop_length,), float64
        As ``librosa.feature.rms(y=y, pad_mode=pad_mode)`` and
        ``librosa.feature.zero_crossing_rate(y)``.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import rms_zcr
    >>> rms, zcr = rms_zcr(np.tile(np.float32([1, -1]), 2048))
    >>> float(rms[2]), float(zcr[2])
    (1.0, 0.99951171875)
    """
    y = np.ascontiguousarray(y, dtype=np.float32)
    n_frames = 1 + len(y) // hop_length
    rms, zcr = np.empty(n_frames), np.empty(n_frames)
    padded = np.pad(y, n_fft // 2, mode=pad_mode)  # type: ignore[call-overload]  # a checked str
    _rms_zcr(padded, y, n_fft, hop_length, 1e-10, rms, zcr)
    return rms, zcr


@numba.njit(cache=True, nogil=True)
def _source_index(i: int, n: int, mode: int) -> int:  # pragma: no cover - compiled
    """Index into a clip of ``n`` samples of position ``i`` of its padded copy (-1: a zero)."""
    if 0 <= i < n:
        return i
    if mode == 0 or n == 0:  # constant
        return -1
    if mode == 2 or n == 1:  # edge (a single sample reflects onto itself)
        return 0 if i < 0 else n - 1
    period = 2 * (n - 1)  # reflect, repeated as np.pad does when the pad exceeds the clip
    i = i % period
    return i if i < n else period - i


@numba.njit(cache=True, nogil=True)
def _windowed_frames(
    x: np.ndarray, start: int, hop: int, window: np.ndarray, mode: int, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    n = x.shape[0]
    n_fft = window.shape[0]
    for t in range(out.shape[0]):
        s = start + t * hop
        row = out[t]
        if s >= 0 and s + n_fft <= n:
            for j in range(n_fft):
                row[j] = x[s + j] * window[j]
        else:
            for j in range(n_fft):
                k = _source_index(s + j, n, mode)
                row[j] = 0 if k < 0 else x[k] * window[j]


PAD_MODES = {"constant": 0, "reflect": 1, "edge": 2}


def windowed_frames(
    x: np.ndarray, start: int, hop: int, window: np.ndarray, pad_mode: str, out: np.ndarray
) -> None:
    """Write ``out.shape[0]`` windowed frames of a clip into ``out``, padding only the edge frames.

    Frame ``t`` holds samples ``start + t * hop`` to ``start + t * hop + n_fft`` of
    ``np.pad(x, pad, mode=pad_mode)`` shifted by ``pad`` (so ``start`` may be
    negative or run past the clip), times ``window``: the clip is never copied.

    Parameters
    ----------
    x : ndarray of shape (n_samples,), float32 or float64
        The clip, contiguous.
    start : int
        Position in ``x`` of the first frame's first sample.
    hop : int
        Samples between frames.
    window : ndarray of shape (n_fft,)
        Window, in the dtype of ``out``.
    pad_mode : {"constant", "reflect", "edge"}
        How samples outside the clip are read, as in ``np.pad``.
    out : ndarray of shape (n_frames, n_fft), float32 or float64
        Written in place.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import windowed_frames
    >>> out = np.empty((2, 4))
    >>> windowed_frames(np.arange(1.0, 6.0), -2, 3, np.ones(4), "reflect", out)
    >>> out.tolist()
    [[3.0, 2.0, 1.0, 2.0], [2.0, 3.0, 4.0, 5.0]]
    """
    _windowed_frames(x, start, hop, window, PAD_MODES[pad_mode], out)


@numba.njit(cache=True, nogil=True)
def _project_power(
    spec: np.ndarray,
    power: float,
    indptr: np.ndarray,
    indices: np.ndarray,
    data: np.ndarray,
    out: np.ndarray,
    column: int,
) -> None:  # pragma: no cover - compiled
    n_frames, n_freq = spec.shape
    n_bins = indptr.shape[0] - 1
    # |spec| ** power, frequency-major, transposed in tiles of 8 frames (one cache line of output)
    P = np.empty((n_freq, n_frames), data.dtype)
    for t0 in range(0, n_frames, 8):
        for k in range(n_freq):
            for t in range(t0, min(t0 + 8, n_frames)):
                z = spec[t, k]
                P[k, t] = z.real * z.real + z.imag * z.imag
    if power != 2.0:
        for k in range(n_freq):
            for t in range(n_frames):
                P[k, t] = np.sqrt(P[k, t]) if power == 1.0 else P[k, t] ** (power / 2)
    # each filterbank row adds its few spectrum rows, across all the frames at once
    acc = np.empty(n_frames, data.dtype)
    for b in range(n_bins):
        acc[:] = 0
        for j in range(indptr[b], indptr[b + 1]):
            w = data[j]
            row = P[indices[j]]
            for t in range(n_frames):
                acc[t] += w * row[t]
        for t in range(n_frames):
            out[b, column + t] = acc[t]


def project_power(
    spec: np.ndarray,
    power: float,
    basis: tuple[np.ndarray, np.ndarray, np.ndarray],
    out: np.ndarray,
    column: int,
) -> None:
    """Write ``basis @ |spec.T| ** power`` into columns of a frequency-major ``out``.

    The block's magnitudes are computed once, frequency-major, and projected
    through a sparse filterbank (CSR rows: one per output bin), accumulated
    across frames in the dtype of the filterbank's values; a Mel filterbank
    has about 2 non-zeros per FFT bin, so the product costs about as much as
    reading the spectrum.

    Parameters
    ----------
    spec : ndarray of shape (n_frames, n_freq), complex64 or complex128
        Frame-major STFT of a block of frames.
    power : float
        Exponent of the magnitude.
    basis : (indptr, indices, data)
        CSR arrays of the ``(n_bins, n_freq)`` filterbank.
    out : ndarray of shape (n_bins, n_columns), float32
        Frequency-major output; columns ``column`` to ``column + n_frames``
        are written.
    column : int
        First column written.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features._kernels import project_power
    >>> basis = (np.array([0, 2]), np.array([0, 1]), np.array([1.0, 0.5]))
    >>> out = np.zeros((1, 2), np.float32)
    >>> project_power(np.array([[1j, 2.0]]), 2.0, basis, out, 1)
    >>> out.tolist()
    [[0.0, 3.0]]
    """
    indptr, indices, data = basis
    _project_power(spec, float(power), indptr, indices, data, out, column)
