"""Signal helpers shared by the features and the nets (neither imports the other's internals).

Interpolation positions (frequency warping in VTLN and in the nets'
augmentations), Fourier resampling of torch tensors (the PANNs front end and
PANNsEmbedding), the PANNs release's rate and front end, and the device that
``device="auto"`` means. torch is imported only by the functions that use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

__all__ = ["FRONT_END", "PANNS_SR", "auto_device", "interpolation_positions", "resample"]

#: The rate the released PANNs checkpoints were trained at.
PANNS_SR = 32000
#: The front end of the 32 kHz release.
FRONT_END: dict[str, int | float] = {
    "n_fft": 1024,
    "hop_length": 320,
    "n_mels": 64,
    "fmin": 50.0,
    "fmax": 14000.0,
}


def auto_device() -> str:
    """Return the device ``device="auto"`` means on this machine: CUDA when available, else CPU.

    Returns
    -------
    device : {"cuda", "cpu"}

    Examples
    --------
    >>> from audiosk.utils._dsp import auto_device
    >>> auto_device() in ("cuda", "cpu")
    True
    """
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def interpolation_positions(
    size: int, factors: np.ndarray, center: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where to read an axis of ``size`` points when it is scaled by each factor.

    Output point ``i`` reads the input at ``center + (i - center) * factor``,
    clipped to the axis, by linear interpolation between its two neighbours.
    :func:`warp_frequency` (NumPy) and the nets' ``FrequencyWarp`` and
    ``TimeStretch`` augmentations (torch) gather with these same positions.

    Parameters
    ----------
    size : int
        Points on the axis.
    factors : array-like of shape (n,)
        One scale per example.
    center : float, default=0.0
        The point that stays in place.

    Returns
    -------
    low, high : ndarray of shape (n, size), int64
        The neighbours read.
    weight : ndarray of shape (n, size), float32
        The share of ``high`` in each output point.

    Examples
    --------
    >>> from audiosk.utils._dsp import interpolation_positions
    >>> low, high, weight = interpolation_positions(4, [1.5])
    >>> low.tolist(), high.tolist(), weight.tolist()
    ([[0, 1, 3, 3]], [[1, 2, 3, 3]], [[0.0, 0.5, 0.0, 0.0]])
    """
    factors = np.asarray(factors, dtype=np.float32).reshape(-1, 1)
    positions = np.arange(size, dtype=np.float32)[None, :]
    source = np.clip(
        np.float32(center) + (positions - np.float32(center)) * factors, 0, size - 1
    ).astype(np.float32)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, size - 1)
    return low, high, (source - low).astype(np.float32)


def resample(x: torch.Tensor, orig_sr: int, target_sr: int) -> torch.Tensor:
    """Resample the last axis by Fourier interpolation, as :func:`scipy.signal.resample`.

    Parameters
    ----------
    x : torch.Tensor of shape (..., n_samples)
        Real signals.
    orig_sr, target_sr : int
        Their rate and the rate wanted.

    Returns
    -------
    y : torch.Tensor of shape (..., round(n_samples * target_sr / orig_sr))
        The band-limited signals at ``target_sr`` (the spectrum above the lower
        Nyquist frequency is dropped).

    Examples
    --------
    >>> import torch
    >>> from audiosk.utils._dsp import resample
    >>> resample(torch.zeros(2, 16000), 16000, 32000).shape
    torch.Size([2, 32000])
    """
    import torch

    if orig_sr == target_sr:
        return x
    n = x.shape[-1]
    num = round(n * target_sr / orig_sr)
    kept = min(n, num)
    spectrum = torch.fft.rfft(x)[..., : kept // 2 + 1]
    if kept % 2 == 0:  # the unpaired bin at the lower Nyquist frequency
        spectrum = spectrum.clone()
        spectrum[..., kept // 2] *= 2.0 if num < n else 0.5
    out: torch.Tensor = torch.fft.irfft(spectrum * (num / n), n=num)
    return out
