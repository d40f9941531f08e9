"""Reading a spectrum's axis at scaled positions: frequency warping, shared by VTLN and augmentation."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["interpolation_positions", "warp_frequency"]


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
    >>> from audiosk.features._warp import interpolation_positions
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


def warp_frequency(X: Any, factor: float) -> np.ndarray:
    """Read every spectrum's frequency axis at ``bin * factor``.

    The deterministic form of :class:`audiosk.nets.FrequencyWarp`: linear
    interpolation between bins, the top bin repeated past the end. A factor
    above 1 moves spectral peaks down (``peak / factor``), below 1 up.

    Parameters
    ----------
    X : array-like of shape (n_clips, n_bins, n_frames) or (n_clips, channels, n_bins, n_frames)
        Spectra; the frequency axis is the second to last.
    factor : float
        Positive warp factor.

    Returns
    -------
    warped : ndarray of float32, same shape as X

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import warp_frequency
    >>> X = np.arange(6.0).reshape(1, 6, 1)
    >>> warp_frequency(X, 1.5)[0, :, 0].tolist()
    [0.0, 1.5, 3.0, 4.5, 5.0, 5.0]
    """
    X = np.asarray(X, dtype=np.float32)
    if X.ndim < 3:
        raise ValueError(
            "warp_frequency needs spectra (n_clips, n_bins, n_frames); "
            f"got an array of shape {X.shape}."
        )
    if not factor > 0:
        raise ValueError(f"factor must be positive; got {factor}.")
    n, bins = X.shape[0], X.shape[-2]
    low, high, weight = interpolation_positions(bins, np.full(n, factor))
    shape = (n,) + (1,) * (X.ndim - 3) + (bins, 1)
    lo = np.take_along_axis(X, low.reshape(shape), axis=-2)
    hi = np.take_along_axis(X, high.reshape(shape), axis=-2)
    w = weight.reshape(shape)
    warped: np.ndarray = (lo * (1 - w) + hi * w).astype(np.float32)
    return warped
