"""Mixing augmentations: a batch mixed with itself, and clips of different classes mixed.

Both return the batch's targets as weighted pairs (see
:class:`~audiosk.nets.Augmentation`): :class:`Mixup` with one weight per batch,
:class:`BetweenClassMix` with one weight per clip (a tensor), which the net
turns into soft labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np
import torch

from ..utils._sklearn_compat import Interval
from ._augment import Augmentation

__all__ = ["BetweenClassMix", "Mixup"]


class Mixup(Augmentation):
    """Mix each batch with a shuffled copy of itself (Zhang et al., 2018).

    The batch becomes ``lam * X + (1 - lam) * X[perm]`` and its loss
    ``lam * loss(y) + (1 - lam) * loss(y[perm])``, with ``lam ~ Beta(alpha,
    alpha)`` drawn per batch: the targets come back as two weighted pairs.
    Clips of different lengths mix over the longer of the two (the shorter
    one is silent past its end).

    Parameters
    ----------
    alpha : float, default=0.2
        Beta distribution parameter.

    See Also
    --------
    BetweenClassMix : Mix clips of different classes, one ratio per clip, in power.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import Mixup
    >>> y = torch.arange(3)
    >>> X, targets = Mixup(0.4)(torch.eye(3), torch.Generator().manual_seed(0), [(y, 1.0)])
    >>> (y1, w1), (y2, w2) = targets
    >>> bool(torch.equal(y1, y)), round(w1 + w2, 6)
    (True, 1.0)
    >>> torch.allclose(X, w1 * torch.eye(3) + w2 * torch.eye(3)[y2])
    True
    """

    _parameter_constraints: dict = {"alpha": [Interval(Real, 0, None, closed="neither")]}

    def __init__(self, alpha: float = 0.2):
        self.alpha = alpha

    def __call__(self, X, generator, targets=None):
        seed = int(torch.randint(0, 2**31 - 1, (1,), generator=generator))
        lam = float(np.random.default_rng(seed).beta(self.alpha, self.alpha))
        batch = X["X"] if isinstance(X, Mapping) else X
        perm = torch.randperm(batch.shape[0], generator=generator).to(batch.device)
        mixed = lam * batch + (1 - lam) * batch[perm]
        if isinstance(X, Mapping):  # a mix lasts as long as the longer of its two clips
            mixed = {**X, "X": mixed, "lengths": torch.maximum(X["lengths"], X["lengths"][perm])}
        if targets is None:
            return mixed, None
        return mixed, [(y, w * lam) for y, w in targets] + [
            (y[perm], w * (1 - lam)) for y, w in targets
        ]


class BetweenClassMix(Augmentation):
    """Mix every clip with a clip of another class at a random ratio (Tokozume et al., 2018).

    Between-class learning: each clip of the batch is paired with a clip of
    a different class from the batch, a ratio ``r ~ U(0, 1)`` is drawn per
    clip, and the net learns the mixture's class proportions (soft labels
    ``r`` and ``1 - r``). The mixture keeps the proportions audible whatever
    the two clips' levels (``gain_aware``): with ``G1`` and ``G2`` the peak
    levels in dB, the first clip is weighted ``p = 1 / (1 + 10 ** ((G1 - G2) /
    20) * (1 - r) / r)``; waveforms are mixed as ``(p x1 + (1 - p) x2) /
    sqrt(p² + (1 - p)²)``, and spectra, read as dB, are mixed in power,
    ``(p² P1 + (1 - p)² P2) / (p² + (1 - p)²)``, then taken back to dB. A mix
    lasts as long as the longer of its clips (the shorter is silent past its
    end). Classifiers only; the loss must take class probabilities (as
    ``torch.nn.CrossEntropyLoss`` does).

    Parameters
    ----------
    gain_aware : bool, default=True
        Weight the clips by their levels as above; False mixes at ``r`` itself.

    See Also
    --------
    Mixup : One ratio per batch, any two clips, mixed as they are.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import BetweenClassMix
    >>> X, y = torch.randn(4, 8, 10), torch.tensor([0, 0, 1, 1])
    >>> mixed, targets = BetweenClassMix()(X, torch.Generator().manual_seed(0), [(y, 1.0)])
    >>> (y1, r), (y2, rest) = targets
    >>> bool(torch.all(y1 != y2)), torch.allclose(r + rest, torch.ones(4)), mixed.shape
    (True, True, torch.Size([4, 8, 10]))
    """

    _parameter_constraints: dict = {"gain_aware": ["boolean"]}
    needs = "classes"

    def __init__(self, gain_aware: bool = True):
        self.gain_aware = gain_aware

    def __call__(self, X, generator, targets=None):
        batch = X["X"] if isinstance(X, Mapping) else X
        lengths = X["lengths"].cpu() if isinstance(X, Mapping) else None
        if targets is None:
            raise ValueError("BetweenClassMix mixes classes: it needs the batch's labels.")
        y = targets[0][0].cpu()
        n = batch.shape[0]
        other = y[:, None] != y[None, :]
        scores = torch.rand(n, n, generator=generator).masked_fill(~other, -1.0)
        partner = scores.argmax(dim=1)
        ratio = torch.rand(n, generator=generator)
        ratio = torch.where(other.any(dim=1), ratio, torch.ones(n))  # one class only: no mix
        valid = _valid(batch, lengths)
        mixed = (_mix_waveforms if batch.dim() == 2 else _mix_spectra)(
            batch, valid, partner.to(batch.device), ratio.to(batch.device), self.gain_aware
        )
        if isinstance(X, Mapping):
            mixed = {**X, "X": mixed, "lengths": torch.maximum(X["lengths"], X["lengths"][partner])}
        ratio = ratio.to(batch.device)
        return mixed, [(t, w * ratio) for t, w in targets] + [
            (t[partner.to(t.device)], w * (1 - ratio)) for t, w in targets
        ]


def _valid(batch: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """Boolean ``(n, length)``: the valid positions along the last axis."""
    if lengths is None:
        return torch.ones(batch.shape[0], batch.shape[-1], dtype=torch.bool, device=batch.device)
    positions = torch.arange(batch.shape[-1])[None, :]
    return (positions < lengths[:, None]).to(batch.device)


def _weights(level: torch.Tensor, partner: torch.Tensor, ratio: torch.Tensor, gain_aware: bool):
    """Weigh the first clip of each pair (``p``) by the peak levels in dB."""
    if not gain_aware:
        return ratio
    odds = 10 ** ((level - level[partner]) / 20) * (1 - ratio) / ratio.clamp(min=1e-6)
    return 1 / (1 + odds)


def _mix_waveforms(batch, valid, partner, ratio, gain_aware):
    x = batch * valid
    blocks = -(-x.shape[-1] // 256)
    padded = torch.nn.functional.pad(x, (0, blocks * 256 - x.shape[-1]))
    power = padded.reshape(x.shape[0], blocks, 256).pow(2).mean(dim=2)
    level = 10 * torch.log10(power.amax(dim=1) + 1e-20)
    p = _weights(level, partner, ratio, gain_aware)[:, None]
    return (p * x + (1 - p) * x[partner]) / torch.sqrt(p**2 + (1 - p) ** 2)


def _mix_spectra(batch, valid, partner, ratio, gain_aware):
    shape = (batch.shape[0],) + (1,) * (batch.dim() - 2) + (batch.shape[-1],)
    power = 10 ** (batch.double() / 10) * valid.reshape(shape)
    frame = power.flatten(1, -2).sum(dim=1)  # (n, frames)
    level = 10 * torch.log10(frame.amax(dim=1) + 1e-30)
    p = _weights(level, partner, ratio.double(), gain_aware).reshape(
        (-1,) + (1,) * (batch.dim() - 1)
    )
    mixed = (p**2 * power + (1 - p) ** 2 * power[partner]) / (p**2 + (1 - p) ** 2)
    floor = 10 ** (float(batch.min()) / 10)  # the quietest value of the batch stays the floor
    return (10 * torch.log10(mixed.clamp(min=floor))).to(batch.dtype)
