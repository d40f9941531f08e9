"""Training-time augmentation of mini-batches: SpecAugment, warping, noise, time shift, mixup.

Each augmentation is a small parameter object (``get_params``/``set_params``,
cloned by the estimator at every fit, searchable as ``augment__<name>``) that
acts on a batch tensor during training only (never in ``predict``), drawing
its randomness from the generator the estimator owns. One interface serves
all: ``aug(X, generator, targets)`` returns the batch and its targets, a list
of ``(y, weight)`` pairs whose weighted losses make the batch loss (mixup
returns two pairs, the others return the targets unchanged). Spectral
batches are ``(n, bins, frames)`` or ``(n, channels, H, W)``: masks and shifts
act on the last two axes. A batch of clips of different lengths is a dict
``{"X": padded batch, "lengths": (n,)}``: every augmentation then acts within
each clip's valid length (a time mask, a shift or a stretch never moves audio
into the padding, noise is added to the valid part, at its power).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import torch
from sklearn.base import BaseEstimator

from ..utils._dsp import interpolation_positions
from ..utils._sklearn_compat import Interval, IntInterval

__all__ = [
    "AddNoise",
    "Augmentation",
    "FrequencyWarp",
    "Gain",
    "SpecAugment",
    "TimeShift",
    "TimeStretch",
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


class Augmentation(BaseEstimator):
    """Base of the batch augmentations: parameters, validation and the common call.

    Subclasses declare ``_parameter_constraints``, the data they need
    (``needs``: ``"spectra"`` for a frequency axis, ``"time"`` for a time
    axis, ``None`` for any batch) and either ``_transform(X, generator)``
    (the targets stay as they are) or ``__call__`` itself (mixing).

    Attributes
    ----------
    needs : {"spectra", "time", "classes"} or None
        What one sample must have: a frequency axis (bins x frames), a time
        axis, class labels, or nothing in particular.

    See Also
    --------
    audiosk.nets.NeuralClassifier : Applies augmentations given as ``augment``.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import Augmentation
    >>> class Louder(Augmentation):
    ...     def _transform(self, X, generator, lengths=None):
    ...         return X * 2
    >>> X, targets = Louder()(torch.ones(2, 3), torch.Generator(), [(torch.tensor([0, 1]), 1.0)])
    >>> X.tolist(), targets[0][1]
    ([[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], 1.0)
    """

    needs: str | None = None

    def __call__(self, X: torch.Tensor, generator: torch.Generator, targets=None):
        """Augment a training batch.

        Parameters
        ----------
        X : torch.Tensor of shape (n, ...) or dict
            The batch, or ``{"X": batch, "lengths": (n,)}`` for clips of
            different lengths padded along the last axis.
        generator : torch.Generator
            Source of the randomness.
        targets : list of (torch.Tensor, float) or None, default=None
            The batch targets and their loss weights.

        Returns
        -------
        X : torch.Tensor of shape (n, ...) or dict
            As given.
        targets : list of (torch.Tensor, float) or None
        """
        if isinstance(X, Mapping):
            return {**X, "X": self._transform(X["X"], generator, X["lengths"].cpu())}, targets
        return self._transform(X, generator), targets

    def _transform(self, X, generator, lengths=None):
        raise NotImplementedError


class FrequencyWarp(Augmentation):
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

    See Also
    --------
    TimeStretch : The same along time.
    audiosk.adaptation.VTLNClassifier : Warp factors chosen per speaker at prediction.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import FrequencyWarp
    >>> X = torch.arange(8.0).reshape(1, 8, 1).expand(2, 8, 3)
    >>> out, _ = FrequencyWarp(0.2)(X, torch.Generator().manual_seed(0))
    >>> out.shape, bool(torch.equal(out[0, :, 0], out[0, :, 2]))
    (torch.Size([2, 8, 3]), True)
    """

    _parameter_constraints: dict = {"max_warp": [Interval(Real, 0, 1, closed="left")]}
    needs = "spectra"

    def __init__(self, max_warp: float = 0.15):
        self.max_warp = max_warp

    def _transform(self, X, generator, lengths=None):
        _need_spectra(self, X)  # along frequency: the padding (zeros) stays zeros
        factors = _uniform(1 - self.max_warp, 1 + self.max_warp, (X.shape[0],), generator)
        return _resample_axis(X, X.dim() - 2, factors, center=0.0)


class TimeStretch(Augmentation):
    """Speed each example up or down by a random factor, about its centre.

    Output frame ``t`` reads the input at ``c + (t - c) * rate`` with ``c``
    the middle frame (linear interpolation, edge frames repeated), ``rate``
    drawn uniformly in ``[1 - max_stretch, 1 + max_stretch]``: faster or
    slower speech or playing, with the pitch unchanged on a spectrogram.

    Parameters
    ----------
    max_stretch : float, default=0.2
        Largest relative change of speed.

    See Also
    --------
    FrequencyWarp : The same along frequency.
    TimeShift : Move a clip in time without stretching it.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import TimeStretch
    >>> X = torch.arange(9.0).repeat(2, 1)
    >>> out, _ = TimeStretch(0.5)(X, torch.Generator().manual_seed(0))
    >>> float(out[0, 4]), out.shape
    (4.0, torch.Size([2, 9]))
    """

    _parameter_constraints: dict = {"max_stretch": [Interval(Real, 0, 1, closed="left")]}
    needs = "time"

    def __init__(self, max_stretch: float = 0.2):
        self.max_stretch = max_stretch

    def _transform(self, X, generator, lengths=None):
        rates = _uniform(1 - self.max_stretch, 1 + self.max_stretch, (X.shape[0],), generator)
        if lengths is None:
            return _resample_axis(X, X.dim() - 1, rates, center=(X.shape[-1] - 1) / 2)
        out = X.clone()
        for i, n in enumerate(lengths.tolist()):  # about each clip's own centre
            out[i : i + 1, ..., :n] = _resample_axis(
                X[i : i + 1, ..., :n], X.dim() - 1, rates[i : i + 1], center=(n - 1) / 2
            )
        return out


class SpecAugment(Augmentation):
    """Frequency and time masking (Park et al., 2019).

    Each example gets ``freq_masks`` bands of bins and ``time_masks`` spans of
    frames set to ``value``; in a batch of clips of different lengths the
    masks lie within each clip's frames.

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

    See Also
    --------
    FrequencyWarp : Warp the frequency axis instead of masking it.
    Mixup : Mix clips rather than mask them.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import SpecAugment
    >>> X = torch.ones(2, 16, 20)
    >>> aug = SpecAugment(freq_masks=1, freq_width=4, time_masks=0)
    >>> out, _ = aug(X, torch.Generator().manual_seed(0))
    >>> out.shape, bool((out == 0).any())
    (torch.Size([2, 16, 20]), True)
    """

    _parameter_constraints: dict = {
        "freq_masks": [IntInterval(0, None, closed="left")],
        "freq_width": [IntInterval(0, None, closed="left")],
        "time_masks": [IntInterval(0, None, closed="left")],
        "time_width": [IntInterval(0, None, closed="left")],
        "value": [Real],
    }
    needs = "spectra"

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

    def _masks(self, n, size, count, width, generator, lengths=None):
        """Boolean (n, size): union of ``count`` random spans of width <= ``width``.

        With ``lengths`` the spans of row ``i`` lie within its first ``lengths[i]`` positions.
        """
        positions = torch.arange(size)
        mask = torch.zeros(n, size, dtype=torch.bool)
        for _ in range(count):
            if lengths is None:
                widths = torch.randint(0, min(width, size) + 1, (n, 1), generator=generator)
                starts = (torch.rand(n, 1, generator=generator) * (size - widths + 1)).long()
            else:
                most = lengths.clamp(max=width)[:, None]
                widths = (torch.rand(n, 1, generator=generator) * (most + 1)).long()
                room = lengths[:, None] - widths + 1
                starts = (torch.rand(n, 1, generator=generator) * room).long()
            mask |= (positions >= starts) & (positions < starts + widths)
        return mask

    def _transform(self, X, generator, lengths=None):
        _need_spectra(self, X)
        n, bins, frames = X.shape[0], X.shape[-2], X.shape[-1]
        freq = self._masks(n, bins, self.freq_masks, self.freq_width, generator).to(X.device)
        time = self._masks(n, frames, self.time_masks, self.time_width, generator, lengths)
        time = time.to(X.device)
        mask = freq[:, :, None] | time[:, None, :]
        if lengths is not None:  # bands are masked within each clip only
            mask &= (torch.arange(frames)[None, :] < lengths[:, None]).to(X.device)[:, None, :]
        if X.dim() == 4:
            mask = mask[:, None]
        return X.masked_fill(mask, self.value)


class AddNoise(Augmentation):
    """Add white noise at a signal-to-noise ratio drawn per example.

    The noise of each example is scaled to its own power (of its valid part,
    for clips of different lengths), so loud and quiet clips get the same
    ratio.

    Parameters
    ----------
    snr_db : float or (float, float), default=(10.0, 30.0)
        SNR in dB, or the range it is drawn from uniformly; the signal power
        is each example's mean square.

    See Also
    --------
    Gain : Change the level without adding noise.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import AddNoise
    >>> X = torch.ones(4, 1000)
    >>> noisy, _ = AddNoise(snr_db=20)(X, torch.Generator().manual_seed(0))
    >>> noise = noisy - X
    >>> round(float(noise.pow(2).mean()), 3)
    0.01
    """

    _parameter_constraints: dict = {"snr_db": [Real, tuple]}

    def __init__(self, snr_db: float | tuple[float, float] = (10.0, 30.0)):
        self.snr_db = snr_db

    def _transform(self, X, generator, lengths=None):
        low, high = (
            (self.snr_db, self.snr_db) if isinstance(self.snr_db, (int, float)) else self.snr_db
        )
        n = X.shape[0]
        snr = _uniform(low, high, (n,), generator)
        power = X.detach().pow(2).reshape(n, -1).mean(dim=1).cpu()
        if lengths is not None:  # the power of the valid part; the padding gets no noise
            power = power * X.shape[-1] / lengths
        scale = torch.sqrt(power / 10 ** (snr / 10)).reshape((n,) + (1,) * (X.dim() - 1))
        noise = torch.randn(X.shape, generator=generator) * scale
        if lengths is not None:
            valid = torch.arange(X.shape[-1])[None, :] < lengths[:, None]
            noise = noise * valid.reshape((n,) + (1,) * (X.dim() - 2) + (X.shape[-1],))
        return X + noise.to(X.device, X.dtype)


class TimeShift(Augmentation):
    """Roll each example along time (the last axis) by a random offset.

    What leaves one end comes back at the other; clips of different lengths
    roll within their own length.

    Parameters
    ----------
    max_shift : float, default=0.2
        Largest shift as a fraction of the length, in either direction.

    See Also
    --------
    TimeStretch : Speed a clip up or down.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import TimeShift
    >>> X = torch.arange(10.0).repeat(3, 1)
    >>> out, _ = TimeShift(0.5)(X, torch.Generator().manual_seed(0))
    >>> bool(torch.equal(out.sort(dim=1).values, X))
    True
    """

    _parameter_constraints: dict = {"max_shift": [Interval(Real, 0, 1, closed="both")]}
    needs = "time"

    def __init__(self, max_shift: float = 0.2):
        self.max_shift = max_shift

    def _transform(self, X, generator, lengths=None):
        length = X.shape[-1]
        if lengths is None:
            limit = int(self.max_shift * length)
            shifts = torch.randint(-limit, limit + 1, (X.shape[0],), generator=generator)
            index = (torch.arange(length)[None, :] - shifts[:, None]) % length  # (n, length)
        else:  # each clip rolls within its own length; the padding stays where it is
            limits = (self.max_shift * lengths).long()
            shifts = (torch.rand(X.shape[0], generator=generator) * (2 * limits + 1)).long()
            shifts = shifts - limits
            positions = torch.arange(length)[None, :]
            rolled = (positions - shifts[:, None]) % lengths[:, None]
            index = torch.where(positions < lengths[:, None], rolled, positions)
        index = index.reshape((X.shape[0],) + (1,) * (X.dim() - 2) + (length,)).expand(X.shape)
        return torch.gather(X, -1, index.to(X.device))


def _need_spectra(aug, X):
    if X.dim() < 3:
        raise ValueError(
            f"{type(aug).__name__} needs spectra (n, bins, frames) or images (n, C, H, W); "
            f"got a batch of shape {tuple(X.shape)}."
        )


class Gain(Augmentation):
    """Change each example's level by a random gain, drawn uniformly in dB.

    A label-preserving change of loudness: waveforms are multiplied by
    ``10 ** (gain / 20)``; spectra, read as dB (``MelSpectrogram(db=True)``),
    are shifted by ``gain``. Within each clip's length only.

    Parameters
    ----------
    max_db : float, default=6.0
        Largest gain in either direction, in dB.

    See Also
    --------
    AddNoise : Add noise at a signal-to-noise ratio.
    BetweenClassMix : Mixes at levels that keep both clips audible.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import Gain
    >>> out, _ = Gain(6.0)(torch.zeros(3, 4, 5), torch.Generator().manual_seed(0))
    >>> bool(out.abs().max() <= 6.0), bool(torch.all(out[:, :, 0:1] == out))
    (True, True)
    """

    _parameter_constraints: dict = {"max_db": [Interval(Real, 0, None, closed="left")]}

    def __init__(self, max_db: float = 6.0):
        self.max_db = max_db

    def _transform(self, X, generator, lengths=None):
        n = X.shape[0]
        gain = _uniform(-self.max_db, self.max_db, (n,), generator).to(X.device, X.dtype)
        gain = gain.reshape((n,) + (1,) * (X.dim() - 1))
        out = X * 10 ** (gain / 20) if X.dim() == 2 else X + gain
        if lengths is None:
            return out
        valid = torch.arange(X.shape[-1])[None, :] < lengths[:, None]
        valid = valid.reshape((n,) + (1,) * (X.dim() - 2) + (X.shape[-1],)).to(X.device)
        return torch.where(valid, out, X)
