"""Reading a spectrum's axis at scaled positions: frequency warping, shared by VTLN and augmentation."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..utils._dsp import interpolation_positions
from ..utils._sklearn_compat import RealInterval, validate_params

__all__ = ["warp_frequency"]


@validate_params(
    {"X": ["array-like"], "factor": [RealInterval(0, None, closed="neither")]},
    prefer_skip_nested_validation=True,
)
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
        The spectra, each bin read at ``bin * factor``.

    See Also
    --------
    audiosk.nets.FrequencyWarp : Random warps of this kind, to augment training data.
    audiosk.adaptation.VTLNClassifier : Chooses a warp factor per speaker at prediction.

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
    n, bins = X.shape[0], X.shape[-2]
    low, high, weight = interpolation_positions(bins, np.full(n, factor))
    shape = (n,) + (1,) * (X.ndim - 3) + (bins, 1)
    lo = np.take_along_axis(X, low.reshape(shape), axis=-2)
    hi = np.take_along_axis(X, high.reshape(shape), axis=-2)
    w = weight.reshape(shape)
    warped: np.ndarray = (lo * (1 - w) + hi * w).astype(np.float32)
    return warped
