"""Pieces shared by audiosk's modules: randomness from the net's generator, masks over time.

Randomness. A module's dropout and input noise draw from the generator the
estimator owns, set for the duration of a training step by
:func:`drawing_from` (a context variable, so nets training in threads of one
process each draw from their own). A module whose every random layer comes
from here is run without touching torch's process-wide generator
(:func:`draws_from_net`); any other module is run on the global generator,
seeded from the net's and locked for the step.

Masks. Clips of different lengths are batched padded with zeros, with the
valid length of each (``lengths``, along the time axis). The helpers below
keep padding from reaching a valid output: convolutions see zeros past a
clip's end (as a clip alone sees its zero padding), batch statistics and
pooling count valid frames only, so a clip's prediction does not depend on
what it is batched with.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import math

import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "Dropout",
    "batch_norm",
    "draws_from_net",
    "drawing_from",
    "dropout",
    "fill_padding",
    "masked_amax",
    "masked_mean",
    "masked_std",
    "out_lengths",
    "randn_like",
    "reads_lengths",
    "time_mask",
    "zero_padding",
]

_GENERATOR: contextvars.ContextVar[torch.Generator | None] = contextvars.ContextVar(
    "audiosk_module_generator", default=None
)


@contextlib.contextmanager
def drawing_from(generator: torch.Generator | None):
    """Make :func:`dropout` and :func:`randn_like` draw from ``generator`` inside the block."""
    token = _GENERATOR.set(generator)
    try:
        yield
    finally:
        _GENERATOR.reset(token)


def _generator_for(x: torch.Tensor) -> torch.Generator | None:
    generator = _GENERATOR.get()
    return generator if generator is not None and generator.device == x.device else None


def dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    """``F.dropout``, drawing from the net's generator when one is set.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets._layers import drawing_from, dropout
    >>> with drawing_from(torch.Generator().manual_seed(0)):
    ...     a = dropout(torch.ones(1000), 0.5, True)
    >>> with drawing_from(torch.Generator().manual_seed(0)):
    ...     b = dropout(torch.ones(1000), 0.5, True)
    >>> bool(torch.equal(a, b)), sorted(set(a.tolist()))
    (True, [0.0, 2.0])
    """
    generator = _generator_for(x)
    if not training or p == 0 or generator is None:
        return F.dropout(x, p, training)
    if p == 1:
        return torch.zeros_like(x)
    keep = torch.empty_like(x).bernoulli_(1 - p, generator=generator)
    return x * keep / (1 - p)


def randn_like(x: torch.Tensor) -> torch.Tensor:
    """Draw standard normal noise shaped like ``x`` (from the net's generator when one is set)."""
    generator = _generator_for(x)
    if generator is None:
        return torch.randn_like(x)
    return torch.randn(x.shape, generator=generator, device=x.device, dtype=x.dtype)


class Dropout(nn.Dropout):
    """:class:`torch.nn.Dropout` drawing from the net's generator (see :func:`dropout`)."""

    def forward(self, input: torch.Tensor) -> torch.Tensor:
        return dropout(input, self.p, self.training)


#: torch layers that draw random numbers in training; audiosk's own :class:`Dropout` does so
#: from the net's generator.
_RANDOM_LAYERS = (nn.modules.dropout._DropoutNd, nn.RReLU)


def reads_lengths(module) -> bool:
    """Whether a module (class, ``functools.partial`` or instance) takes ``lengths`` in forward.

    A module instance may say so itself (a ``reads_lengths`` attribute: a
    :class:`~audiosk.nets.CNN` with ``head="flatten"`` has the argument but
    needs one length).
    """
    if isinstance(module, nn.Module) and hasattr(module, "reads_lengths"):
        return bool(module.reads_lengths)
    forward = getattr(getattr(module, "func", module), "forward", None)
    try:
        return forward is not None and "lengths" in inspect.signature(forward).parameters
    except (TypeError, ValueError):  # no signature to read
        return False


def draws_from_net(module: nn.Module) -> bool:
    """Whether every random draw of ``module`` goes through this file's helpers.

    True for audiosk's modules (whose class is defined in audiosk) holding
    no random torch layer other than :class:`Dropout`; a module of another
    origin may draw from torch's global generator anywhere in its code.
    """
    for m in module.modules():
        if not type(m).__module__.startswith(("audiosk.", "torch.nn.")):
            return False
        if isinstance(m, _RANDOM_LAYERS) and not isinstance(m, Dropout):
            return False
    return type(module).__module__.startswith("audiosk.")


def time_mask(lengths: torch.Tensor, size: int) -> torch.Tensor:
    """Boolean ``(n, size)``: True on the first ``lengths[i]`` positions of row ``i``.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets._layers import time_mask
    >>> time_mask(torch.tensor([3, 1]), 4).int().tolist()
    [[1, 1, 1, 0], [1, 0, 0, 0]]
    """
    return torch.arange(size, device=lengths.device)[None, :] < lengths[:, None]


def _spread(mask: torch.Tensor, x: torch.Tensor, axis: int) -> torch.Tensor:
    """Reshape an ``(n, T)`` mask to broadcast against ``x`` with time on ``axis``."""
    axis = axis % x.dim()
    shape = [1] * x.dim()
    shape[0], shape[axis] = mask.shape
    return mask.reshape(shape)


def zero_padding(x: torch.Tensor, mask: torch.Tensor | None, axis: int = -1) -> torch.Tensor:
    """Set the positions past each clip's end to 0 (``x`` unchanged without a mask)."""
    return x if mask is None else x.masked_fill(~_spread(mask, x, axis), 0.0)


def fill_padding(x: torch.Tensor, mask: torch.Tensor, value: float, axis: int = -1):
    """Set the positions past each clip's end to ``value``."""
    return x.masked_fill(~_spread(mask, x, axis), value)


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None, axis: int = -1, keepdim=False):
    """Mean over ``axis`` of the valid positions (all of them without a mask)."""
    if mask is None:
        return x.mean(dim=axis, keepdim=keepdim)
    m = _spread(mask, x, axis)
    total = torch.where(m, x, 0.0).sum(dim=axis, keepdim=keepdim)
    return total / m.sum(dim=axis, keepdim=keepdim).to(x.dtype)


def masked_std(x: torch.Tensor, mask: torch.Tensor | None, axis: int = -1):
    """Take the standard deviation (``n - 1`` denominator, as ``Tensor.std``) of valid positions."""
    if mask is None:
        return x.std(dim=axis)
    m = _spread(mask, x, axis)
    centred = torch.where(m, x - masked_mean(x, mask, axis, keepdim=True), 0.0)
    var = centred.square().sum(dim=axis) / (m.sum(dim=axis).to(x.dtype) - 1)
    return var.clamp_min(1e-12).sqrt()  # a finite gradient where the frames are constant


def masked_amax(x: torch.Tensor, mask: torch.Tensor | None, axis: int = -1):
    """Maximum over ``axis`` of the valid positions."""
    if mask is None:
        return x.amax(dim=axis)
    return fill_padding(x, mask, -math.inf, axis).amax(dim=axis)


def batch_norm(
    bn: nn.modules.batchnorm._BatchNorm,
    x: torch.Tensor,
    mask: torch.Tensor | None,
    axis: int = -1,
) -> torch.Tensor:
    """Apply ``bn`` to ``x`` with batch statistics over the valid positions only.

    Without a mask, or in evaluation mode with running statistics, this is
    ``bn(x)``. In training, the mean and variance of each channel are those
    of the valid positions, and the running statistics are updated with them as ``bn`` would (its
    momentum, or a cumulative average when the momentum is None; the
    unbiased variance). The padding's output is not zero: the layers after
    mask it.

    Parameters
    ----------
    bn : torch.nn.BatchNorm1d or BatchNorm2d
        The layer (its parameters and buffers are used).
    x : torch.Tensor of shape (n, channels, ...)
        Input.
    mask : torch.Tensor of shape (n, T) or None
        Valid positions along ``axis``.
    axis : int, default=-1
        The time axis of ``x``.

    Returns
    -------
    torch.Tensor, shaped like ``x``
    """
    use_batch = bn.training or not bn.track_running_stats
    if mask is None or not use_batch:
        return bn(x)
    m = _spread(mask, x, axis).to(x.dtype)
    dims = [0, *range(2, x.dim())]
    count = m.expand(x.shape[0], 1, *x.shape[2:]).sum()  # valid positions per channel
    shape = [1, -1] + [1] * (x.dim() - 2)
    mean = (x * m).sum(dims) / count
    centred = x - mean.reshape(shape)
    var = (centred * m * centred).sum(dims) / count  # two passes: exact for large means
    running_mean, running_var, tracked = bn.running_mean, bn.running_var, bn.num_batches_tracked
    if bn.training and running_mean is not None and running_var is not None and tracked is not None:
        with torch.no_grad():
            tracked.add_(1)
            factor = 1.0 / float(tracked) if bn.momentum is None else bn.momentum
            unbiased = var * count / (count - 1).clamp_min(1.0)
            running_mean.mul_(1 - factor).add_(factor * mean.detach())
            running_var.mul_(1 - factor).add_(factor * unbiased.detach())
    scale = torch.rsqrt(var + bn.eps)
    if not bn.affine:
        return centred * scale.reshape(shape)
    scale = scale * bn.weight
    return torch.addcmul(bn.bias.reshape(shape), centred, scale.reshape(shape))


def out_lengths(
    lengths: torch.Tensor,
    kernel: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    *,
    ceil_mode: bool = False,
) -> torch.Tensor:
    """Compute the valid output length of a convolution or pooling along time, per input length.

    torch's formula, ``floor((L + 2p - d (k - 1) - 1) / s) + 1`` (ceil with
    ``ceil_mode``, whose last window must start inside the input or its left padding).

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets._layers import out_lengths
    >>> out_lengths(torch.tensor([7, 8]), 2, 2, ceil_mode=True).tolist()
    [4, 4]
    """
    span = lengths + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return torch.div(span, stride, rounding_mode="floor") + 1
    out = -torch.div(-span, stride, rounding_mode="floor") + 1
    return out - ((out - 1) * stride >= lengths + padding).long()
