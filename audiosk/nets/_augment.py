"""Training-time augmentation of mini-batches: SpecAugment, warping, noise, time shift, mixup.

Each augmentation acts on a batch tensor during training only (never in
``predict``), drawing its randomness from the generator the estimator seeds
with ``random_state``. Spectral batches are ``(n, bins, frames)`` or
``(n, channels, H, W)``: masks and shifts act on the last two axes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..utils._dsp import interpolation_positions

__all__ = [
    "AddNoise",
    "FrequencyWarp",
    "Mixup",
    "SpecAugment",
    "TimeShift",
    "TimeStretch",
    "make_augmentations",
]


def _uniform(low, high, size, generator):
    return low + (high - low) * torch.rand(size, generator=generator)


def _resample_axis(
    X: torch.Tensor, axis: int, factors: torch.Tensor, center: float
) -> torch.Tensor:
    """Read each example along ``axis`` at positions ``center + (i - center) * factor``.

    Linear interpolation; positions past either end take the edge value.
    ``factors`` has one entry per example.
    """
    n, size = X.shape[0], X.shape[axis]
    low, high, frac = (
        torch.from_numpy(a) for a in interpolation_positions(size, factors.cpu().numpy(), center)
    )
    moved = X.movedim(axis, -1)
    shape = (n,) + (1,) * (moved.dim() - 2) + (size,)

    def spread(t):
        return t.reshape(shape).expand(moved.shape).to(X.device)

    weight = spread(frac).to(X.dtype)
    out = (
        torch.gather(moved, -1, spread(low)) * (1 - weight)
        + torch.gather(moved, -1, spread(high)) * weight
    )
    return out.movedim(-1, axis)


class FrequencyWarp:
    """Stretch or compress the frequency axis by a random factor per example.

    Output bin ``b`` reads the input at ``b * factor`` (linear interpolation,
    the top bin repeated past the end), ``factor`` drawn uniformly in
    ``[1 - max_warp, 1 + max_warp]``: on a Mel or linear spectrogram this
    moves formants up or down, like a shorter or longer vocal tract
    (vocal tract length perturbation), which helps nets recognise voices
    they were not trained on.

    Parameters
    ----------
    max_warp : float, default=0.15
        Largest relative change of the frequency scale.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import FrequencyWarp
    >>> X = torch.arange(8.0).reshape(1, 8, 1).expand(2, 8, 3)
    >>> out = FrequencyWarp(0.2)(X, torch.Generator().manual_seed(0))
    >>> out.shape, bool(torch.equal(out[0, :, 0], out[0, :, 2]))
    (torch.Size([2, 8, 3]), True)
    """

    def __init__(self, max_warp: float = 0.15):
        self.max_warp = max_warp

    def __call__(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if X.dim() < 3:
            raise ValueError(
                "FrequencyWarp needs spectra (n, bins, frames) or images (n, C, H, W)."
            )
        factors = _uniform(1 - self.max_warp, 1 + self.max_warp, (X.shape[0],), generator)
        return _resample_axis(X, X.dim() - 2, factors, center=0.0)

    def __repr__(self):
        return f"FrequencyWarp(max_warp={self.max_warp})"


class TimeStretch:
    """Speed each example up or down by a random factor, about its centre.

    Output frame ``t`` reads the input at ``c + (t - c) * rate`` with ``c``
    the middle frame (linear interpolation, edge frames repeated), ``rate``
    drawn uniformly in ``[1 - max_stretch, 1 + max_stretch]``: faster or
    slower speech or playing, with the pitch unchanged on a spectrogram.

    Parameters
    ----------
    max_stretch : float, default=0.2
        Largest relative change of speed.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import TimeStretch
    >>> X = torch.arange(9.0).repeat(2, 1)
    >>> out = TimeStretch(0.5)(X, torch.Generator().manual_seed(0))
    >>> float(out[0, 4]), out.shape
    (4.0, torch.Size([2, 9]))
    """

    def __init__(self, max_stretch: float = 0.2):
        self.max_stretch = max_stretch

    def __call__(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        rates = _uniform(1 - self.max_stretch, 1 + self.max_stretch, (X.shape[0],), generator)
        return _resample_axis(X, X.dim() - 1, rates, center=(X.shape[-1] - 1) / 2)

    def __repr__(self):
        return f"TimeStretch(max_stretch={self.max_stretch})"


class SpecAugment:
    """Frequency and time masking (Park et al., 2019).

    Parameters
    ----------
    freq_masks : int, default=2
        Frequency bands set to ``value`` per example.
    freq_width : int, default=8
        Largest band height (bins); each is drawn in ``[0, freq_width]``.
    time_masks : int, default=2
        Time spans set to ``value`` per example.
    time_width : int, default=16
        Largest span (frames).
    value : float, default=0.0
        Fill value (0 is the mean of standardised spectra).

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import SpecAugment
    >>> X = torch.ones(2, 16, 20)
    >>> out = SpecAugment(freq_masks=1, freq_width=4, time_masks=0)(X, torch.Generator().manual_seed(0))
    >>> out.shape, bool((out == 0).any())
    (torch.Size([2, 16, 20]), True)
    """

    def __init__(
        self,
        freq_masks: int = 2,
        freq_width: int = 8,
        time_masks: int = 2,
        time_width: int = 16,
        value: float = 0.0,
    ):
        self.freq_masks = freq_masks
        self.freq_width = freq_width
        self.time_masks = time_masks
        self.time_width = time_width
        self.value = value

    def _masks(self, n, size, count, width, generator):
        """Boolean (n, size): union of ``count`` random spans of width <= ``width``."""
        positions = torch.arange(size)
        mask = torch.zeros(n, size, dtype=torch.bool)
        for _ in range(count):
            widths = torch.randint(0, min(width, size) + 1, (n, 1), generator=generator)
            starts = (torch.rand(n, 1, generator=generator) * (size - widths + 1)).long()
            mask |= (positions >= starts) & (positions < starts + widths)
        return mask

    def __call__(self, X: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        if X.dim() < 3:
            raise ValueError("SpecAugment needs spectra (n, bins, frames) or images (n, C, H, W).")
        n, bins, frames = X.shape[0], X.shape[-2], X.shape[-1]
        freq = self._masks(n, bins, self.freq_masks, self.freq_width, generator).to(X.device)
        time = self._masks(n, frames, self.time_masks, self.time_width, generator).to(X.device)
        mask = freq[:, :, None] | time[:, None, :]
        if X.dim() == 4:
            mask = mask[:, None]
        return X.masked_fill(mask, self.value)

    def __repr__(self):
        return (
            f"SpecAugment(freq_masks={self.freq_masks}, freq_width={self.freq_width}, "
            f"time_masks={self.time_masks}, time_width={self.time_width})"
        )


class AddNoise:
    """Add white noise at a signal-to-noise ratio drawn per example.

    Parameters
    ----------
    snr_db : float or (float, float), default=(10.0, 30.0)
        SNR in dB, or the range it is drawn from uniformly; the signal power
        is each example's mean square.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import AddNoise
    >>> X = torch.ones(4, 1000)
    >>> noise = AddNoise(snr_db=20)(X, torch.Generator().manual_seed(0)) - X
    >>> round(float(noise.pow(2).mean()), 3)
    0.01
    """

    def __init__(self, snr_db: float | tuple[float, float] = (10.0, 30.0)):
        self.snr_db = snr_db

    def __call__(self, X, generator):
        low, high = (
            (self.snr_db, self.snr_db) if isinstance(self.snr_db, (int, float)) else self.snr_db
        )
        n = X.shape[0]
        snr = _uniform(low, high, (n,), generator)
        power = X.detach().pow(2).reshape(n, -1).mean(dim=1).cpu()
        scale = torch.sqrt(power / 10 ** (snr / 10)).reshape((n,) + (1,) * (X.dim() - 1))
        noise = torch.randn(X.shape, generator=generator) * scale
        return X + noise.to(X.device, X.dtype)

    def __repr__(self):
        return f"AddNoise(snr_db={self.snr_db})"


class TimeShift:
    """Roll each example along time (the last axis) by a random offset.

    Parameters
    ----------
    max_shift : float, default=0.2
        Largest shift as a fraction of the length, in either direction.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import TimeShift
    >>> X = torch.arange(10.0).repeat(3, 1)
    >>> out = TimeShift(0.5)(X, torch.Generator().manual_seed(0))
    >>> bool(torch.equal(out.sort(dim=1).values, X))
    True
    """

    def __init__(self, max_shift: float = 0.2):
        self.max_shift = max_shift

    def __call__(self, X, generator):
        length = X.shape[-1]
        limit = int(self.max_shift * length)
        shifts = torch.randint(-limit, limit + 1, (X.shape[0],), generator=generator)
        index = (torch.arange(length)[None, :] - shifts[:, None]) % length  # (n, length)
        index = index.reshape((X.shape[0],) + (1,) * (X.dim() - 2) + (length,)).expand(X.shape)
        return torch.gather(X, -1, index.to(X.device))

    def __repr__(self):
        return f"TimeShift(max_shift={self.max_shift})"


class Mixup:
    """Mix each batch with a shuffled copy of itself (Zhang et al., 2018).

    The loss becomes ``lam * loss(y) + (1 - lam) * loss(y[perm])`` with
    ``lam ~ Beta(alpha, alpha)`` drawn per batch.

    Parameters
    ----------
    alpha : float, default=0.2
        Beta distribution parameter.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import Mixup
    >>> X, perm, lam = Mixup(0.4).mix(torch.eye(3), torch.Generator().manual_seed(0))
    >>> torch.allclose(X, lam * torch.eye(3) + (1 - lam) * torch.eye(3)[perm])
    True
    """

    def __init__(self, alpha: float = 0.2):
        self.alpha = alpha

    def mix(self, X, generator):
        """Return the mixed batch, the permutation and ``lam``."""
        import numpy as np

        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        lam = float(np.random.default_rng(seed).beta(self.alpha, self.alpha))
        perm = torch.randperm(X.shape[0], generator=generator).to(X.device)
        return lam * X + (1 - lam) * X[perm], perm, lam

    def __repr__(self):
        return f"Mixup(alpha={self.alpha})"


_BY_NAME = {
    "specaugment": SpecAugment,
    "warp": FrequencyWarp,
    "stretch": TimeStretch,
    "noise": AddNoise,
    "shift": TimeShift,
    "mixup": Mixup,
}


def make_augmentations(spec) -> list:
    """Resolve an ``augment`` parameter to augmentation objects.

    Parameters
    ----------
    spec : None, str, augmentation object, or a list of them
        Names: "specaugment", "warp" (:class:`FrequencyWarp`), "stretch"
        (:class:`TimeStretch`), "noise", "shift", "mixup".

    Returns
    -------
    augmentations : list
        Applied in order; a :class:`Mixup` is applied last whatever its position.

    Examples
    --------
    >>> from audiosk.nets import make_augmentations
    >>> make_augmentations(["specaugment", "mixup"])
    [SpecAugment(freq_masks=2, freq_width=8, time_masks=2, time_width=16), Mixup(alpha=0.2)]
    """
    if spec is None:
        return []
    items: Sequence = spec if isinstance(spec, (list, tuple)) else [spec]
    out = []
    for item in items:
        if isinstance(item, str):
            if item.lower() not in _BY_NAME:
                raise ValueError(f"Unknown augmentation {item!r}; choose among {sorted(_BY_NAME)}.")
            item = _BY_NAME[item.lower()]()
        elif not (callable(item) or isinstance(item, Mixup)):
            raise TypeError(f"augment items must be names or augmentation objects; got {item!r}.")
        out.append(item)
    return [a for a in out if not isinstance(a, Mixup)] + [a for a in out if isinstance(a, Mixup)]
