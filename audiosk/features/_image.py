"""Spectrogram images for image networks: resizing to (channels, height, width), colour maps."""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from ..containers import Spectra
from ..utils._sklearn_compat import Interval, StrOptions
from ._spectra import _StatelessSpectra, check_spectra

__all__ = ["SpectrogramImage"]


def _interpolation_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Linear resampling ``(n_out, n_in)`` with half-pixel centres.

    Equals ``torch.nn.functional.interpolate(mode="bilinear",
    align_corners=False)`` along one axis.
    """
    scale = n_in / n_out
    src = np.maximum((np.arange(n_out) + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(int), n_in - 1)
    hi = np.minimum(lo + 1, n_in - 1)
    w_hi = src - lo
    M = np.zeros((n_out, n_in))
    rows = np.arange(n_out)
    np.add.at(M, (rows, lo), 1 - w_hi)
    np.add.at(M, (rows, hi), w_hi)
    return M.astype(np.float32)


class SpectrogramImage(_StatelessSpectra):
    """Resize spectra to images ``(channels, height, width)`` for image models.

    Bilinear resizing (as ``torch.nn.functional.interpolate`` with
    ``align_corners=False``), then either repetition to ``channels`` or,
    with ``cmap``, each clip scaled to [0, 1] by its own range and coloured
    by a matplotlib colormap (3 RGB channels), as spectrogram PNGs are,
    without writing any file. Frequency runs along the height: row 0 is the
    lowest bin, or the highest with ``origin="upper"`` (as in a PNG). Clips
    of any lengths (a :class:`~audiosk.containers.Spectra` list) are each
    resized from their own frames to ``width``, so the output is one 4-D
    array.

    Parameters
    ----------
    height, width : int, default=224
        Output size.
    channels : {1, 3}, default=1
        Output channels (3 for ImageNet-style models).
    cmap : str or None, default=None
        Matplotlib colormap name (needs the ``plot`` extra and ``channels=3``: RGB images).
    origin : {"lower", "upper"}, default="lower"
        Where the lowest frequency goes.

    Attributes
    ----------
    n_features_in_ : int
        Bins seen at fit; once fitted, transform requires as many (the step
        also works unfitted, on spectra of any number of bins).

    See Also
    --------
    audiosk.features.MelSpectrogram : The spectra to resize, in dB.
    audiosk.nets.ResNet : An image network for the resized spectra.
    audiosk.images.write_spectrogram_images : Write spectrograms as image files instead.

    Examples
    --------
    >>> import numpy as np
    >>> from audiosk.features import SpectrogramImage
    >>> S = np.random.default_rng(0).random((2, 64, 40)).astype(np.float32)
    >>> SpectrogramImage(height=32, width=32, channels=3).fit_transform(S).shape
    (2, 3, 32, 32)
    """

    _parameter_constraints: dict[str, Any] = {
        "height": [Interval(Integral, 1, None, closed="left")],
        "width": [Interval(Integral, 1, None, closed="left")],
        "channels": [StrOptions({"1", "3"}), Interval(Integral, 1, 3, closed="both")],
        "cmap": [str, None],
        "origin": [StrOptions({"lower", "upper"})],
    }

    def __init__(
        self,
        *,
        height: int = 224,
        width: int = 224,
        channels: int | str = 1,
        cmap: str | None = None,
        origin: str = "lower",
    ) -> None:
        self.height = height
        self.width = width
        self.channels = channels
        self.cmap = cmap
        self.origin = origin

    def transform(self, X: Any) -> Any:
        """Resize (and colour) every clip.

        Parameters
        ----------
        X : array-like of shape (n_clips, n_bins, n_frames), or Spectra
            Spectra (typically log-Mel); clips of any lengths as a
            :class:`~audiosk.containers.Spectra` list.

        Returns
        -------
        images : ndarray of shape (n_clips, channels, height, width), float32
            The resized spectra, repeated over the channels or coloured by ``cmap``.
        """
        self._validate_params()
        channels = int(self.channels)
        if channels == 2:
            raise ValueError("SpectrogramImage(channels=...) must be 1 or 3.")
        if self.cmap is not None and channels != 3:
            raise ValueError("SpectrogramImage(cmap=...) gives RGB images: set channels=3.")
        X = check_spectra(self, X, reset=False, allow_ragged=True)
        if isinstance(X, Spectra):
            img = np.concatenate([self._resize(x[None]) for x in X])
        else:
            img = self._resize(X)
        if self.origin == "upper":
            img = img[:, ::-1]
        if self.cmap is not None:
            try:
                from matplotlib import colormaps
            except ImportError as exc:
                raise ImportError(
                    "SpectrogramImage(cmap=...) needs matplotlib: pip install 'audiosk[plot]'."
                ) from exc
            lo = img.min(axis=(1, 2), keepdims=True)
            span = img.max(axis=(1, 2), keepdims=True) - lo
            unit = (img - lo) / np.where(span > 0, span, 1.0)
            rgb = colormaps[self.cmap](unit)[..., :3]
            return np.ascontiguousarray(rgb.transpose(0, 3, 1, 2), dtype=np.float32)
        img = img[:, None]
        if channels == 3:
            img = np.repeat(img, 3, axis=1)
        return np.ascontiguousarray(img, dtype=np.float32)

    def _resize(self, X: np.ndarray) -> np.ndarray:
        """Resize spectra ``(n_clips, n_bins, n_frames)`` to ``(n_clips, height, width)``."""
        rows = _interpolation_matrix(X.shape[1], self.height)
        cols = _interpolation_matrix(X.shape[2], self.width)
        resized: np.ndarray = np.matmul(np.matmul(rows, X), cols.T)
        return resized
