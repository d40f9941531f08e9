"""Torch modules chosen by name in the neural estimators: MLP, TDNN and CNN.

Every module takes ``input_shape`` (the shape of one sample, without the
batch axis) and ``n_outputs``; the estimators infer both from the data at
fit, so the size of whatever comes before the net can be searched. The image
networks are in ``_vision`` and the pretrained audio networks in ``_panns``.
"""

# Past 600 lines because each architecture documents its options and checks its sizes.

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral

import torch
from torch import nn

from ._layers import (
    Dropout,
    batch_norm,
    fill_padding,
    masked_mean,
    masked_std,
    out_lengths,
    randn_like,
    time_mask,
    zero_padding,
)

__all__ = ["CNN", "MLP", "TDNN"]

_FLATTEN_NEEDS_ONE_LENGTH = (
    "CNN(head='flatten') needs clips of one length; for clips of different lengths use "
    "head='global' (or PadTrim before the spectral step)."
)

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
}

INITIALISERS = {
    "default": None,
    "glorot_uniform": nn.init.xavier_uniform_,
    "xavier_uniform": nn.init.xavier_uniform_,
    "glorot_normal": nn.init.xavier_normal_,
    "xavier_normal": nn.init.xavier_normal_,
    "he_uniform": nn.init.kaiming_uniform_,
    "kaiming_uniform": nn.init.kaiming_uniform_,
    "he_normal": nn.init.kaiming_normal_,
    "kaiming_normal": nn.init.kaiming_normal_,
    "uniform": lambda w: nn.init.uniform_(w, -0.05, 0.05),
}


def _activation(name: str) -> nn.Module:
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(
            f"Unknown activation '{name}'; choose among {sorted(ACTIVATIONS)}."
        ) from None


def _initialise(module: nn.Module, init: str) -> None:
    if init not in INITIALISERS:
        raise ValueError(f"Unknown init '{init}'; choose among {sorted(INITIALISERS)}.")
    fn = INITIALISERS[init]
    if fn is None:
        return
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d)):
            fn(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


def _per_layer(value, n: int, name: str) -> list:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} has {len(value)} values for {n} layers.")
        return list(value)
    return [value] * n


def parse_layer_sizes(sizes, name: str = "hidden_layer_sizes") -> tuple[int, ...]:
    """Layer sizes from a sequence, an int or a string like ``"256-128-64"``; each at least 1.

    Examples
    --------
    >>> from audiosk.nets._modules import parse_layer_sizes
    >>> parse_layer_sizes("256-128-64"), parse_layer_sizes(32), parse_layer_sizes([8, 4])
    ((256, 128, 64), (32,), (8, 4))
    >>> parse_layer_sizes((64, 0))
    Traceback (most recent call last):
    ...
    ValueError: hidden_layer_sizes=(64, 0): every layer needs at least 1 unit, ...
    """
    try:
        if isinstance(sizes, str):
            parsed = tuple(int(s) for s in sizes.split("-") if s.strip())
        elif isinstance(sizes, Integral) and not isinstance(sizes, bool):
            parsed = (int(sizes),)
        else:
            parsed = tuple(_whole(s) for s in sizes)
    except (TypeError, ValueError):
        parsed = None
    if parsed is None or any(size < 1 for size in parsed):
        raise ValueError(
            f"{name}={sizes!r}: every layer needs at least 1 unit, given as whole numbers "
            "(an int, a sequence of ints, or a string such as '256-128-64'); on a net set it "
            f"as module__{name}."
        )
    return parsed


def _one_size(value, name: str) -> int:
    """One layer size, at least 1 (as :func:`parse_layer_sizes` checks it)."""
    sizes = parse_layer_sizes(value, name)
    if len(sizes) != 1:
        raise ValueError(
            f"{name}={value!r} must be one whole number of units; on a net module__{name}."
        )
    return sizes[0]


def _whole(value) -> int:
    """Return a whole number as an int; refuse booleans and fractions (TypeError)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(value)
    return int(value)


class MLP(nn.Module):
    """Multi-layer perceptron: [Linear -> (BatchNorm) -> activation -> (Dropout)] x n -> Linear.

    The defaults are the table recipe of :class:`~audiosk.nets.NeuralClassifier`:
    each input feature is standardised inside the net (a batch norm without
    learnt scale, so raw tables need no scaler in front), Gaussian noise of
    0.1 standard deviations is added to the standardised inputs while
    training, and two wide hidden layers are regularised by dropout 0.5.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample; flattened (a 2-D table gives ``(n_features,)``).
    n_outputs : int
        Output units (classes, or regression targets).
    hidden_layer_sizes : sequence of int, int or str, default=(512, 256)
        Units of each hidden layer; a string such as ``"256-128-64"`` is
        accepted too, so that Bayesian searches (which cannot sample tuples)
        can choose among architectures.
    activation : str, default="relu"
        One of "relu", "leaky_relu", "elu", "gelu", "tanh", "sigmoid".
    batch_norm : bool, default=False
        Batch normalisation after each hidden linear layer.
    dropout : float or sequence of float, default=0.5
        Dropout after each hidden layer (one value, or one per layer).
    init : str, default="default"
        Weight initialiser: "default" (torch's), "glorot_uniform"
        ("xavier_uniform"), "glorot_normal", "he_uniform" ("kaiming_uniform"),
        "he_normal", or "uniform" (U(-0.05, 0.05), Keras' RandomUniform).
    standardize_input : bool, default=True
        Standardise every input feature with batch statistics while training
        and their running averages at prediction.
    input_noise : float, default=0.1
        Standard deviation of the Gaussian noise added to the standardised
        inputs while training (0 for none).

    See Also
    --------
    TDNN : The default network for spectra.
    audiosk.nets.NeuralClassifier : Trains it on tables (``module="mlp"``).

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import MLP
    >>> net = MLP(input_shape=(20,), n_outputs=3, hidden_layer_sizes=(8, 4), dropout=0.1)
    >>> net(torch.zeros(5, 20)).shape
    torch.Size([5, 3])
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        n_outputs: int,
        hidden_layer_sizes: Sequence[int] | int | str = (512, 256),
        activation: str = "relu",
        batch_norm: bool = False,
        dropout: float | Sequence[float] = 0.5,
        init: str = "default",
        standardize_input: bool = True,
        input_noise: float = 0.1,
    ):
        super().__init__()
        hidden_layer_sizes = parse_layer_sizes(hidden_layer_sizes)
        sizes = [math.prod(input_shape), *hidden_layer_sizes]
        dropouts = _per_layer(dropout, len(hidden_layer_sizes), "dropout")
        self.input = _InputNorm(sizes[0], standardize_input, input_noise)
        layers: list = []
        for n_in, n_out, p in zip(sizes[:-1], sizes[1:], dropouts, strict=True):
            layers.append(nn.Linear(n_in, n_out))
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(_activation(activation))
            if p:
                layers.append(Dropout(p))
        layers.append(nn.Linear(sizes[-1], n_outputs))
        self.layers = nn.Sequential(*layers)
        _initialise(self, init)

    def forward(self, X):
        """Compute the outputs of a batch of samples.

        Parameters
        ----------
        X : torch.Tensor of shape (n, ...)
            The samples, flattened to ``(n, prod(input_shape))``.

        Returns
        -------
        torch.Tensor of shape (n, n_outputs)
            The outputs: class logits, or regression values.
        """
        return self.layers(self.input(X.flatten(1)))


class _InputNorm(nn.Module):
    """Per-feature standardisation (batch norm without learnt scale) and training noise.

    Acts on ``(n, features)`` or ``(n, channels, length)``: the statistics are
    per feature or per channel, over the valid frames of ``mask``.
    """

    def __init__(self, n_features: int, norm: bool, noise: float):
        super().__init__()
        self.norm = nn.BatchNorm1d(n_features, affine=False) if norm else nn.Identity()
        self.noise = float(noise)

    def forward(self, X, mask=None):
        if isinstance(self.norm, nn.BatchNorm1d):
            X = batch_norm(self.norm, X, mask)
        if self.training and self.noise:
            X = X + self.noise * randn_like(X)
        return X


class TDNN(nn.Module):
    """Time-delay network: 1-D convolutions over time, then mean and std pooling.

    The spectrogram's bins are the input channels of a stack of dilated 1-D
    convolutions along time; the mean and standard deviation of the last
    layer over all frames (statistics pooling, as in x-vector networks)
    feed a small dense head. It reads clips of any length (a batch of clips
    of different lengths is padded, with ``lengths``: every step counts the
    valid frames only), learns from a
    few hundred clips, and is several times faster on a CPU than a 2-D
    :class:`CNN` of similar accuracy: it is the default network for
    spectra in :class:`~audiosk.nets.NeuralClassifier`.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_bins, n_frames)``; ``(channels, n_bins, n_frames)`` stacks the
        channels' bins.
    n_outputs : int
        Output units.
    channels : int, default=128
        Filters of every convolution.
    kernel_size : int or sequence of int, default=(5, 3, 3)
        Kernel length (in frames) of each convolution; the number of
        layers is the length of the longest of ``kernel_size`` and
        ``dilation``.
    dilation : int or sequence of int, default=(1, 2, 3)
        Dilation of each convolution (the default layers see 5, 9 and 15
        frames).
    embedding : int, default=128
        Units of the dense layer after the pooling.
    activation : str, default="relu"
        As in :class:`MLP`.
    dropout : float, default=0.3
        Dropout before the output layer.
    center_per_clip : bool, default=False
        Subtract each clip's mean over time from every bin (cepstral mean
        normalisation): on dB spectra this removes the spectral colour of
        the recording channel and of the speaker's voice. Off by default:
        across speech, music and instruments it cost accuracy (the clip's
        colour is often the class itself; the ablation in the user guide).
    standardize_input : bool, default=True
        Standardise each bin (over the batch and the frames) before the
        first convolution, so dB spectra need no scaler in front.
    init : str, default="default"
        As in :class:`MLP`.

    See Also
    --------
    CNN : 2-D convolutions over spectrograms or images.
    MLP : The network for feature tables.
    audiosk.nets.NeuralClassifier : Trains it on spectra (``module="tdnn"``).

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import TDNN
    >>> net = TDNN(input_shape=(40, 100), n_outputs=10, channels=32)
    >>> net(torch.zeros(2, 40, 100)).shape, net(torch.zeros(2, 40, 57)).shape
    (torch.Size([2, 10]), torch.Size([2, 10]))
    >>> net.eval()(torch.randn(2, 40, 100), lengths=torch.tensor([100, 57])).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        n_outputs: int,
        channels: int = 128,
        kernel_size: int | Sequence[int] = (5, 3, 3),
        dilation: int | Sequence[int] = (1, 2, 3),
        embedding: int = 128,
        activation: str = "relu",
        dropout: float = 0.3,
        center_per_clip: bool = False,
        standardize_input: bool = True,
        init: str = "default",
    ):
        super().__init__()
        if len(input_shape) not in (2, 3):
            raise ValueError(
                "TDNN needs samples of shape (n_bins, n_frames) or (channels, n_bins, n_frames); "
                f"got {tuple(input_shape)}. Tables go to the 'mlp'."
            )
        n_layers = max(
            len(v) if isinstance(v, (list, tuple)) else 1 for v in (kernel_size, dilation)
        )
        kernels = _per_layer(kernel_size, n_layers, "kernel_size")
        dilations = _per_layer(dilation, n_layers, "dilation")
        n_in = math.prod(input_shape[:-1])
        channels, embedding = _one_size(channels, "channels"), _one_size(embedding, "embedding")
        self.center_per_clip = center_per_clip
        self.input = _InputNorm(n_in, standardize_input, 0.0)
        layers: list = []
        for k, d in zip(kernels, dilations, strict=True):
            layers += [
                nn.Conv1d(n_in, channels, k, dilation=d, padding=d * (k // 2)),
                nn.BatchNorm1d(channels),
                _activation(activation),
            ]
            n_in = channels
        self.layers = nn.Sequential(*layers)
        self.head = nn.Sequential(
            nn.Linear(2 * channels, embedding),
            nn.BatchNorm1d(embedding),
            _activation(activation),
            Dropout(dropout),
            nn.Linear(embedding, n_outputs),
        )
        _initialise(self, init)

    #: Fewest frames a clip needs: its standard deviation over time needs two.
    min_length = 2

    def forward(self, X, lengths=None):
        """Compute the outputs of a batch of spectra.

        Parameters
        ----------
        X : torch.Tensor of shape (n, n_bins, n_frames) or (n, channels, n_bins, n_frames)
            The spectra; channels' bins are stacked.
        lengths : torch.Tensor of shape (n,) or None, default=None
            Valid frames of each clip of a padded batch; ``None``: every
            frame is valid.

        Returns
        -------
        torch.Tensor of shape (n, n_outputs)
            The outputs: class logits, or regression values.
        """
        X = X.flatten(1, -2)
        _check_min_length(self, X, lengths)
        mask = None if lengths is None else time_mask(lengths, X.shape[-1])
        X = zero_padding(X, mask)
        if self.center_per_clip:
            X = X - masked_mean(X, mask, keepdim=True)
        h = self.input(X, mask)
        for layer in self.layers:
            if isinstance(layer, nn.Conv1d):
                h = layer(zero_padding(h, mask))
                if mask is not None:
                    k, d, p = layer.kernel_size[0], layer.dilation[0], layer.padding[0]
                    mask = time_mask(out_lengths(lengths, k, 1, p, d), h.shape[-1])
                    lengths = mask.sum(dim=1)
            elif isinstance(layer, nn.BatchNorm1d):
                h = batch_norm(layer, h, mask)
            else:
                h = layer(h)
        return self.head(torch.cat([masked_mean(h, mask), masked_std(h, mask)], dim=1))


def _check_min_length(module, X, lengths):
    """Refuse clips shorter than ``module.min_length`` frames (their outputs would be NaN)."""
    shortest = X.shape[-1] if lengths is None else int(lengths.min())
    if shortest < module.min_length:
        raise ValueError(
            f"{type(module).__name__} needs clips of at least {module.min_length} frames; got one "
            f"of {shortest}. Use longer clips (PadTrim before the spectral step) or a smaller "
            "hop_length."
        )


class CNN(nn.Module):
    """Convolutional network over spectrograms or images.

    ``n_blocks`` blocks of [Conv2d -> (BatchNorm) -> activation -> pooling
    -> (Dropout)], then a head: global average pooling, or flattening, then
    an optional dense layer and the output layer.

    Parameters
    ----------
    input_shape : tuple of int
        ``(n_bins, n_frames)`` (one channel is added) or ``(channels, H, W)``.
    n_outputs : int
        Output units.
    n_blocks : int, default=4
        Convolutional blocks.
    channels : int or sequence of int, default=(16, 32, 64, 128)
        Filters per block (one value doubles from it: 16 gives 16, 32, ...).
    kernel_size : int or sequence of int, default=3
        Square kernel size per block (3 for 3x3, 5 for 5x5).
    stride : int, default=1
        Convolution stride (2 for strided down-sampling).
    padding : "same", "valid" or int, default="same"
        Convolution padding ("same" is kernel_size // 2).
    pooling : {"max", "avg", "none"}, default="max"
        2x2 pooling after each block.
    activation : str, default="relu"
        As in :class:`MLP`.
    batch_norm : bool, default=True
        Batch normalisation after each convolution.
    dropout : float, default=0.0
        Dropout after each block and before the output layer.
    head : {"global", "flatten"}, default="global"
        "global" averages each channel over the plane (any input size, and
        clips of different lengths in one batch); "flatten" keeps the
        layout (fixed input size).
    dense : int or None, default=None
        Units of a hidden dense layer in the head.
    init : str, default="default"
        As in :class:`MLP`.

    See Also
    --------
    TDNN : 1-D convolutions over time, faster on a CPU.
    audiosk.nets.ResNet : A deeper image network, with pretrained weights.

    Examples
    --------
    >>> import torch
    >>> from audiosk.nets import CNN
    >>> net = CNN(input_shape=(64, 44), n_outputs=1, channels=8, kernel_size=5, pooling="avg")
    >>> net(torch.zeros(2, 64, 44)).shape
    torch.Size([2, 1])
    """

    def __init__(
        self,
        input_shape: tuple[int, ...],
        n_outputs: int,
        n_blocks: int = 4,
        channels: int | Sequence[int] = (16, 32, 64, 128),
        kernel_size: int | Sequence[int] = 3,
        stride: int = 1,
        padding: str | int = "same",
        pooling: str = "max",
        activation: str = "relu",
        batch_norm: bool = True,
        dropout: float = 0.0,
        head: str = "global",
        dense=None,
        init: str = "default",
    ):
        super().__init__()
        if len(input_shape) not in (2, 3):
            raise ValueError(
                f"CNN needs samples of shape (n_bins, n_frames) or (channels, H, W); got {input_shape}."
            )
        if pooling not in ("max", "avg", "none"):
            raise ValueError(f"pooling must be 'max', 'avg' or 'none'; got {pooling!r}.")
        if head not in ("global", "flatten"):
            raise ValueError(f"head must be 'global' or 'flatten'; got {head!r}.")
        in_ch = 1 if len(input_shape) == 2 else input_shape[0]
        sizes = parse_layer_sizes(channels, "channels")
        if isinstance(channels, Integral):  # one value doubles from block to block
            sizes = tuple(sizes[0] * 2**i for i in range(n_blocks))
        channels = _per_layer(list(sizes), n_blocks, "channels")
        kernels = _per_layer(kernel_size, n_blocks, "kernel_size")
        blocks: list = []
        for out_ch, k in zip(channels, kernels, strict=True):
            pad = k // 2 if padding == "same" else 0 if padding == "valid" else int(padding)
            blocks.append(nn.Conv2d(in_ch, out_ch, k, stride=stride, padding=pad))
            if batch_norm:
                blocks.append(nn.BatchNorm2d(out_ch))
            blocks.append(_activation(activation))
            if pooling != "none":
                pool = nn.MaxPool2d if pooling == "max" else nn.AvgPool2d
                blocks.append(pool(2, ceil_mode=True))
            if dropout:
                blocks.append(Dropout(dropout))
            in_ch = out_ch
        self.features = nn.Sequential(*blocks)
        self.in_dims = len(input_shape)
        self.reads_lengths = head == "global"  # a flattened head needs one length
        if head == "global":
            pooled: list = [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            n_flat = in_ch
        else:
            if input_shape[-1] is None:
                raise ValueError(_FLATTEN_NEEDS_ONE_LENGTH)
            with torch.no_grad():  # in evaluation mode: batch norm cannot train on one sample
                probe = self.features.eval()(torch.zeros(1, *self._as_image_shape(input_shape)))
            self.features.train()
            pooled, n_flat = [nn.Flatten()], probe.numel()
        head_layers = pooled
        if dense:
            head_layers += [nn.Linear(n_flat, dense), _activation(activation)]
            n_flat = dense
        if dropout:
            head_layers.append(Dropout(dropout))
        head_layers.append(nn.Linear(n_flat, n_outputs))
        self.head = nn.Sequential(*head_layers)
        _initialise(self, init)

    @staticmethod
    def _as_image_shape(shape):
        return (1, *shape) if len(shape) == 2 else tuple(shape)

    def forward(self, X, lengths=None):
        """Compute the outputs of a batch of spectrograms or images.

        With ``lengths`` every block counts the valid frames only (the
        frames are the last axis), so a clip's output does not depend on the
        padding of its batch; it needs ``head="global"``.

        Parameters
        ----------
        X : torch.Tensor of shape (n, n_bins, n_frames) or (n, channels, H, W)
            The batch, of the rank of ``input_shape``.
        lengths : torch.Tensor of shape (n,) or None, default=None
            Valid frames of each clip of a padded batch; ``None``: every
            frame is valid.

        Returns
        -------
        torch.Tensor of shape (n, n_outputs)
            The outputs: class logits, or regression values.
        """
        if self.in_dims == 2:
            X = X.unsqueeze(1)
        if lengths is None:
            return self.head(self.features(X))
        if not isinstance(self.head[0], nn.AdaptiveAvgPool2d):
            raise ValueError(_FLATTEN_NEEDS_ONE_LENGTH)
        _check_min_length(self, X, lengths)
        mask = time_mask(lengths, X.shape[-1])
        for layer in self.features:
            X = self._masked_layer(layer, X, mask)
            after = self._lengths_after(layer, lengths)
            if after is not lengths:
                lengths, mask = after, time_mask(after, X.shape[-1])
                X = zero_padding(X, mask)
        pooled = masked_mean(X.mean(dim=2), mask)  # over frequency, then the valid frames
        return self.head[2:](pooled)

    @staticmethod
    def _masked_layer(layer, X, mask):
        if isinstance(layer, nn.Conv2d):
            return layer(zero_padding(X, mask))
        if isinstance(layer, nn.BatchNorm2d):
            return batch_norm(layer, X, mask)
        if isinstance(layer, nn.MaxPool2d):
            return layer(fill_padding(X, mask, -math.inf))
        if isinstance(layer, nn.AvgPool2d):  # the mean of the valid frames in each window
            weight = zero_padding(torch.ones_like(X[:, :1]), mask)
            return layer(zero_padding(X, mask)) / layer(weight).clamp(min=1e-12)
        return layer(X)

    @staticmethod
    def _lengths_after(layer, lengths):
        if isinstance(layer, nn.Conv2d):
            k, s, p, d = (
                v[-1] for v in (layer.kernel_size, layer.stride, layer.padding, layer.dilation)
            )
            return out_lengths(lengths, k, s, p, d)
        if isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = (
                v if isinstance(v, int) else v[-1]
                for v in (layer.kernel_size, layer.stride, layer.padding)
            )
            return out_lengths(lengths, k, s, p, ceil_mode=layer.ceil_mode)
        return lengths

    @property
    def min_length(self) -> int:
        """Fewest frames a clip needs to leave one frame after every convolution and pooling."""
        lengths = torch.arange(1, 2**14)
        for layer in self.features:
            lengths = self._lengths_after(layer, lengths)
        return int(torch.argmax((lengths >= 1).int())) + 1


def _architectures():
    from functools import partial

    from ._panns import PANNs
    from ._vision import GoogLeNet, ResNet

    return {
        "mlp": MLP,
        "cnn": CNN,
        "tdnn": TDNN,
        "resnet18": partial(ResNet, depth=18),
        "resnet34": partial(ResNet, depth=34),
        "resnet50": partial(ResNet, depth=50),
        "googlenet": GoogLeNet,
        "panns": PANNs,
    }


#: Architectures by name for ``NeuralClassifier(module=...)``.
MODULES = _architectures()
